use std::path::Path;

use emrguard_graph::{parse_source, AccessGraph, Target};
use emrguard_load::{load_snapshot, LoadOptions};

#[test]
fn explore() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/insecure-lab");
    let inv = load_snapshot(&dir, &LoadOptions::default()).unwrap();
    let rbac = emrguard_rbac::RbacIndex::build(&inv);
    let start = std::time::Instant::now();
    let mut g = AccessGraph::new(&inv, &rbac);
    for src in [
        "arn:aws:iam::111122223333:role/team-a-data-engineer",
        "arn:aws:iam::111122223333:user/ci-team-b",
        "arn:aws:iam::111122223333:role/ds-analyst",
    ] {
        let id = g.node(parse_source(&inv, src).unwrap());
        for p in g.paths(&[id], &Target::AnyClass, 10) {
            let v = g.view(&p);
            let names: Vec<String> = v
                .nodes
                .iter()
                .map(|n| format!("{}:{}", n.kind.as_str(), n.name))
                .collect();
            println!("{}", names.join("  ->  "));
        }
    }
    println!("elapsed {:?} size {:?}", start.elapsed(), g.size());
}
