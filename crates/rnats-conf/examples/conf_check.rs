//! Parses a configuration file and prints what the reference server's `-t` mode prints
//! for syntax-level results: "configuration file F is valid (sha256:...)" or the error.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: conf_check <file>");
        std::process::exit(2);
    };
    match rnats_conf::parse_file(&path) {
        Ok(doc) => println!("configuration file {path} is valid ({})", doc.digest),
        Err(err) => {
            println!("{err}");
            std::process::exit(1);
        }
    }
}
