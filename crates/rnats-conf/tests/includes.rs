//! `include`: relative paths, merging, nesting, errors and cycles.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rnats_conf::{ValueKind, parse_file};

/// A fresh directory under the system temp dir, unique per test and process.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rnats-conf-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn write(dir: &Path, rel: &str, text: &str) -> String {
    let path = dir.join(rel);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

#[test]
fn include_merges_relative_to_including_file() {
    let dir = scratch("merge");
    write(&dir, "sub/a.conf", "port: 1\nY = 7\n");
    write(&dir, "sub/b.conf", "include a.conf\nname: b\n");
    let main = write(
        &dir,
        "main.conf",
        "debug: true\ninclude ./sub/b.conf\nmax: $Y\nport: 2\n",
    );
    let doc = parse_file(&main).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<_> = doc.root.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["debug", "port", "Y", "name", "max"]);
    assert_eq!(
        doc.root.get("port").map(|e| &e.value.kind),
        Some(&ValueKind::Integer(2))
    );
    assert_eq!(
        doc.root.get("max").map(|e| &e.value.kind),
        Some(&ValueKind::Integer(7))
    );
    let name = doc
        .root
        .get("name")
        .and_then(|e| e.key_position.file.clone());
    assert!(name.is_some_and(|f| f.ends_with("sub/b.conf")));
}

#[test]
fn include_inside_map_and_quoted_forms() {
    let dir = scratch("map");
    write(&dir, "sub/d.conf", "name: x\n");
    let main = write(
        &dir,
        "main.conf",
        "cluster {\n  INCLUDE \"sub/d.conf\"\n}\ninclude 'sub/d.conf'; z: 1\n",
    );
    let doc = parse_file(&main).unwrap_or_else(|e| panic!("{e}"));
    let Some(ValueKind::Map(cluster)) = doc.root.get("cluster").map(|e| &e.value.kind) else {
        panic!("cluster");
    };
    assert!(cluster.get("name").is_some());
    assert!(doc.root.get("name").is_some() && doc.root.get("z").is_some());
}

#[test]
fn included_files_do_not_see_parent_variables() {
    let dir = scratch("scope");
    write(&dir, "sub/e.conf", "port: $X\n");
    let main = write(&dir, "main.conf", "X = 4\ninclude sub/e.conf\n");
    let err = parse_file(&main).map(|_| ()).unwrap_err().to_string();
    assert_eq!(
        err,
        "error parsing include file 'sub/e.conf', variable reference for 'X' on line 1 can not be found"
    );
}

#[test]
fn include_errors() {
    let dir = scratch("errors");
    let main = write(&dir, "main.conf", "include ./nope.conf\n");
    let err = parse_file(&main).map(|_| ()).unwrap_err().to_string();
    let expected_path = format!("{}/nope.conf", dir.to_string_lossy());
    assert_eq!(
        err,
        format!(
            "error parsing include file './nope.conf', open {expected_path}: no such file or directory"
        )
    );
    let main = write(&dir, "dir.conf", "include sub\n");
    let err = parse_file(&main).map(|_| ()).unwrap_err().to_string();
    assert!(err.ends_with("/sub: is a directory"), "{err}");
    write(&dir, "sub/c.conf", "port: [\n");
    let main = write(&dir, "bad.conf", "include sub/c.conf\n");
    let err = parse_file(&main).map(|_| ()).unwrap_err().to_string();
    assert!(
        err.starts_with("error parsing include file 'sub/c.conf', Parse error on line 2:"),
        "{err}"
    );
    let err = parse_file(dir.join("missing.conf"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("open ") && err.ends_with("missing.conf: no such file or directory"));
}

#[test]
fn include_cycles_are_detected() {
    let dir = scratch("cycle");
    write(&dir, "sub/x.conf", "include ../main.conf\n");
    let main = write(&dir, "main.conf", "include sub/x.conf\n");
    let err = parse_file(&main).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("include cycle detected"), "{err}");
    let own = write(&dir, "self.conf", "include self.conf\n");
    assert!(parse_file(&own).is_err());
}

#[test]
fn key_named_include_with_separator_is_a_plain_key() {
    let dir = scratch("key");
    let main = write(&dir, "main.conf", "include: sub/a.conf\n");
    let doc = parse_file(&main).unwrap_or_else(|e| panic!("{e}"));
    assert!(doc.root.get("include").is_some());
}

#[test]
fn digest_ignores_layout_and_includes() {
    let dir = scratch("digest");
    write(&dir, "sub/a.conf", "port: 1\n");
    let a = write(&dir, "a.conf", "include sub/a.conf\n");
    let b = write(&dir, "b.conf", "# comment\nport = 1");
    let da = parse_file(&a).map(|d| d.digest).unwrap_or_default();
    let db = parse_file(&b).map(|d| d.digest).unwrap_or_default();
    assert_eq!(da, db);
    // Value established with the reference server for a file holding `port: 1`.
    assert_eq!(
        da,
        "sha256:5b27b68e52c25859a76c94f378c31d5a499ca677a46b38fb5f58ded229b59650"
    );
}
