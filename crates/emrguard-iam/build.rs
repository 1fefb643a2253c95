//! Turns `data/actions.tsv` into static tables (`$OUT_DIR/catalog_data.rs`), so that the
//! action catalog costs nothing at run time: no parsing, allocation or hashing on start.

use std::fmt::Write as _;
use std::path::Path;

include!("src/catalog_table.rs");

struct Action<'a> {
    service: &'a str,
    name: &'a str,
    level: &'static str,
    /// `(name, required)`.
    resource_types: Vec<(&'a str, bool)>,
}

struct Service<'a> {
    prefix: &'a str,
    name: &'a str,
    start: usize,
    end: usize,
}

fn level(code: &str) -> Option<&'static str> {
    Some(match code {
        "L" => "List",
        "R" => "Read",
        "W" => "Write",
        "P" => "PermissionsManagement",
        "T" => "Tagging",
        _ => return None,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=data/actions.tsv");
    println!("cargo::rerun-if-changed=src/catalog_table.rs");
    let data = std::fs::read_to_string("data/actions.tsv")?;
    let mut actions: Vec<Action<'_>> = Vec::new();
    let mut services: Vec<Service<'_>> = Vec::new();
    let (mut source, mut generated) = ("", "");
    for line in data.lines() {
        if let Some(rest) = line.strip_prefix("# source\t") {
            source = rest;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# generated\t") {
            generated = rest;
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('@') {
            if let Some(open) = services.last_mut() {
                open.end = actions.len();
            }
            let (prefix, name) = rest.split_once('\t').unwrap_or((rest, rest));
            services.push(Service {
                prefix,
                name,
                start: actions.len(),
                end: actions.len(),
            });
            continue;
        }
        let Some(service) = services.last().map(|s| s.prefix) else {
            continue;
        };
        let mut fields = line.split('\t');
        let (Some(name), Some(code)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(level) = level(code) else {
            continue;
        };
        let resource_types = fields
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_suffix('*') {
                Some(n) => (n, true),
                None => (s, false),
            })
            .collect();
        actions.push(Action {
            service,
            name,
            level,
            resource_types,
        });
    }
    if let Some(open) = services.last_mut() {
        open.end = actions.len();
    }

    let full_names: Vec<String> = actions
        .iter()
        .map(|a| format!("{}:{}", a.service, a.name))
        .collect();
    let names: Vec<&str> = full_names.iter().map(String::as_str).collect();
    let slots = name_slots(&names);
    // Each action's position in the bytewise order of full names.
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(names[b]).then(a.cmp(&b)));
    let mut rank = vec![0usize; names.len()];
    for (position, &i) in order.iter().enumerate() {
        rank[i] = position;
    }
    // Every table is made of integers and offsets into a few long strings: a table of
    // `&'static str` needs one load-time relocation per pointer (about 100,000 of them, a few
    // milliseconds at every start of a position-independent executable).
    let names_text = names.concat();
    let lower_text = names_text.to_ascii_lowercase();
    // Services by prefix (the data lists them sorted; sorted here in case it does not).
    let mut by_prefix: Vec<usize> = (0..services.len()).collect();
    by_prefix.sort_by(|&a, &b| services[a].prefix.cmp(services[b].prefix));

    let mut out = String::new();
    writeln!(out, "pub(crate) static SOURCE: &str = {source:?};")?;
    writeln!(out, "pub(crate) static GENERATED: &str = {generated:?};")?;
    let mut types_text = String::new();
    let mut type_rows = String::new();
    let mut type_count = 0usize;
    writeln!(out, "pub(crate) static ACTIONS: &[ActionInfo] = &[")?;
    let mut start = 0usize;
    for action in &actions {
        let colon = start + action.service.len();
        let end = colon + 1 + action.name.len();
        let types_start = type_count;
        for (name, required) in &action.resource_types {
            let name_start = types_text.len();
            types_text.push_str(name);
            writeln!(
                type_rows,
                "TypeRow{{start:{name_start},end:{},required:{required}}},",
                types_text.len()
            )?;
            type_count += 1;
        }
        writeln!(
            out,
            "ActionInfo{{start:{start},colon:{colon},end:{end},access_level:AccessLevel::{},types_start:{types_start},types_end:{type_count}}},",
            action.level
        )?;
        start = end;
    }
    writeln!(out, "];")?;
    writeln!(out, "pub(crate) static NAMES: &str = {names_text:?};")?;
    writeln!(out, "pub(crate) static LOWER_TEXT: &str = {lower_text:?};")?;
    writeln!(out, "pub(crate) static TYPE_NAMES: &str = {types_text:?};")?;
    writeln!(
        out,
        "pub(crate) static TYPE_ROWS: &[TypeRow] = &[\n{type_rows}];"
    )?;
    writeln!(out, "pub(crate) static SERVICES: &[ServiceInfo] = &[")?;
    for s in &services {
        writeln!(
            out,
            "ServiceInfo{{prefix:{:?},name:{:?},range:{}..{}}},",
            s.prefix, s.name, s.start, s.end
        )?;
    }
    writeln!(out, "];")?;
    let list = |values: &[usize]| -> String {
        values.iter().fold(String::new(), |mut s, v| {
            let _ = write!(s, "{v},");
            s
        })
    };
    writeln!(
        out,
        "pub(crate) static SERVICES_BY_PREFIX: &[u32] = &[{}];",
        list(&by_prefix)
    )?;
    let slots: Vec<usize> = slots.iter().map(|&s| s as usize).collect();
    writeln!(
        out,
        "pub(crate) static NAME_SLOTS: &[u32] = &[{}];",
        list(&slots)
    )?;
    writeln!(
        out,
        "pub(crate) static NAME_RANK: &[u32] = &[{}];",
        list(&rank)
    )?;
    let dir = std::env::var("OUT_DIR")?;
    std::fs::write(Path::new(&dir).join("catalog_data.rs"), out)?;
    Ok(())
}
