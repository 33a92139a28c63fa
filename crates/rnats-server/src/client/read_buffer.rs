//! A connection's read buffer: sized to the traffic, and released when the client idles.
//!
//! It starts at 512 bytes, doubles after reads that fill it and halves after short ones (up
//! to 64 KiB), as the reference does. An operation split across reads stays at the front
//! until the rest arrives; a payload larger than the read size grows the buffer to fit it.

use bytes::BytesMut;

/// The connection's read buffer: sized to the traffic, and released when the client idles.
pub(crate) struct ReadBuffer {
    pub(super) bytes: BytesMut,
    /// Capacity to read into next; doubles after full reads and halves after short ones.
    capacity: usize,
    short_reads: u8,
    /// Length that completes a partially received operation (a payload), if known.
    pub(super) needed: usize,
}

const MIN_READ: usize = 512;
const MAX_READ: usize = 64 * 1024;

impl Default for ReadBuffer {
    fn default() -> Self {
        ReadBuffer {
            bytes: BytesMut::new(),
            capacity: MIN_READ,
            short_reads: 0,
            needed: 0,
        }
    }
}

impl ReadBuffer {
    /// Makes room for the next read and returns the buffer to read into.
    /// Makes room for the next read and returns the buffer to read into, limited to the
    /// read size: a batch never holds more than one read's worth of new messages, which
    /// bounds what one batch can queue for a consumer before the producer may stall.
    pub(crate) fn prepare(&mut self) -> bytes::buf::Limit<&mut BytesMut> {
        let wanted = self
            .capacity
            .max(self.needed.saturating_sub(self.bytes.len()));
        if self.bytes.capacity() - self.bytes.len() < wanted {
            self.bytes.reserve(wanted);
        }
        bytes::BufMut::limit(&mut self.bytes, wanted)
    }

    pub(super) fn consume(&mut self, len: usize) {
        // advance, not split_to: splitting would turn the buffer into shared storage.
        bytes::Buf::advance(&mut self.bytes, len);
        if self.bytes.is_empty() {
            self.needed = 0;
        }
    }

    /// Adapts the read size to the last read, and frees the buffer when the client idles.
    pub(super) fn after_read(&mut self, read: usize) {
        if read >= self.capacity {
            self.capacity = (self.capacity * 2).min(MAX_READ);
            self.short_reads = 0;
        } else if read < self.capacity / 2 {
            self.short_reads = self.short_reads.saturating_add(1);
            if self.short_reads >= 2 {
                self.capacity = (self.capacity / 2).max(MIN_READ);
                self.short_reads = 0;
            }
        }
        // A short read drained the socket: the client is quiet for now, keep no memory.
        if self.bytes.is_empty() && read < self.capacity {
            self.bytes = BytesMut::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;

    fn read(buffer: &mut ReadBuffer, n: usize) {
        let mut space = buffer.prepare();
        assert!(space.remaining_mut() >= n);
        space.put_slice(&vec![b'x'; n]);
        buffer.after_read(n);
    }

    #[test]
    fn grows_after_full_reads_and_shrinks_after_short_ones() {
        let mut buffer = ReadBuffer::default();
        read(&mut buffer, MIN_READ);
        assert_eq!(buffer.capacity, 2 * MIN_READ);
        buffer.consume(buffer.bytes.len());
        for _ in 0..10 {
            let full = buffer.capacity;
            read(&mut buffer, full);
            buffer.consume(full);
        }
        assert_eq!(buffer.capacity, MAX_READ, "capped");
        read(&mut buffer, 10);
        read(&mut buffer, 10);
        assert_eq!(buffer.capacity, MAX_READ / 2, "two short reads halve it");
    }

    #[test]
    fn a_read_is_capped_at_the_read_size() {
        let mut buffer = ReadBuffer::default();
        assert_eq!(buffer.prepare().remaining_mut(), MIN_READ);
        // Unless a partial payload needs more.
        buffer.needed = 10_000;
        assert_eq!(buffer.prepare().remaining_mut(), 10_000);
    }

    #[test]
    fn an_idle_connection_keeps_no_buffer() {
        let mut buffer = ReadBuffer::default();
        let mut space = buffer.prepare();
        space.put_slice(b"PING\r\n");
        buffer.consume(6);
        buffer.after_read(6);
        assert_eq!(buffer.bytes.capacity(), 0);
    }
}
