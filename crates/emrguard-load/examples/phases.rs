use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::time::Instant;
#[derive(serde::Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let t = Instant::now();
    let bytes = std::fs::read(&path).unwrap_or_default();
    println!("read {:?}", t.elapsed());
    let t = Instant::now();
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    println!("utf8 {:?}", t.elapsed());
    let t = Instant::now();
    let _ = serde_json::from_str::<IgnoredAny>(text);
    println!("ignored-any pass {:?}", t.elapsed());
    let t = Instant::now();
    let top: Top = serde_json::from_str(text).unwrap_or(Top { items: vec![] });
    println!(
        "raw items pass {:?} ({} items)",
        t.elapsed(),
        top.items.len()
    );
    let t = Instant::now();
    let n: usize = text.bytes().filter(|&b| b == b'\n').count();
    println!("newline count {:?} {n}", t.elapsed());
    let t = Instant::now();
    let mut ok = 0;
    for item in &top.items {
        if serde_json::from_str::<emrguard_model::k8s::Pod>(item.get()).is_ok() {
            ok += 1;
        }
    }
    println!("typed pods {:?} {ok}", t.elapsed());
}
