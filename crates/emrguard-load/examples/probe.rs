fn main() {
    for arg in std::env::args().skip(1) {
        let opts = emrguard_load::LoadOptions::default();
        match emrguard_load::load_snapshot(std::path::Path::new(&arg), &opts) {
            Ok(inv) => println!(
                "{arg}: OK skipped={:?} warnings={:?}",
                inv.skipped, inv.warnings
            ),
            Err(e) => println!("{arg}: ERR {e}"),
        }
    }
}
