//! Digests established with the reference server's `-t` output.

use rnats_conf::parse_str;

fn digest(text: &str) -> String {
    parse_str(text)
        .map(|d| d.digest)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn digests_match_reference() {
    let cases = [
        (
            "port: 4222",
            "797533ebd0dfba7d34a0f9337ecf147e442871f48ddfd07ed751575a5737267e",
        ),
        (
            "max_pending: 01",
            "bec044516e5f62c0eff55413cb9548a89cdc14b2f2c865e100d2ff817b0b6764",
        ),
        (
            "max_pending: 10eb",
            "0a79c23bac4ce51356ae1fae2529b0e0dbae44091fc1187373832c697d00b09c",
        ),
        (
            "server_name: }",
            "2522a4a15b760e48fb9eb2fe96390ec5d4d7b66673d7fc8fede40f993c470da2",
        ),
        (
            "server_name: (\nabc\n)",
            "7fad305ed33096c9a645007e811332955ee9ea96f860d4be3c4fa4751c187861",
        ),
        (
            "X = 4\nport: $X",
            "6a8b3df1cd8031f2ea228baeaf4d6ad5b71b92983236a99bcb6feebce91ea8ef",
        ),
        (
            "cluster {name: x; port: -1}",
            "3bea6a8be35b8b5e460cf72140244243307102c04481ed79f09d9e3568728eae",
        ),
        (
            "server_name: \"\\xff\"",
            "67da06e3e9b28ecc907a896e2e99078badd3825710c35183d84e758d8304eccc",
        ),
    ];
    for (text, hex) in cases {
        assert_eq!(digest(text), format!("sha256:{hex}"), "{text:?}");
    }
}
