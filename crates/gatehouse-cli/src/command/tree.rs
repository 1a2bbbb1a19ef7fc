//! `gatehouse tree`: the compiled decision tree as text, Graphviz, Mermaid
//! or JSON. The tree comes from [`gatehouse::PolicySet::tree_dump`], which
//! also renders it.

use crate::args::{TreeArgs, TreeFormat};
use crate::exit::Exit;
use crate::load;
use crate::render::Style;

pub fn run(args: &TreeArgs) -> Exit {
    let policy = match load::policy_set(&args.paths, Style { color: false }) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    let mut dump = gatehouse_tools::analysis::tree::tree_dump(&policy);
    if let Some(name) = &args.api {
        dump.apis.retain(|a| &a.name == name);
        if dump.apis.is_empty() {
            eprintln!("error: no API named `{name}` in the policy set");
            return Exit::Usage;
        }
    }
    if let Some(method) = &args.method {
        let method = method.to_ascii_uppercase();
        for api in &mut dump.apis {
            api.methods.retain(|m| m.method == method);
        }
        if dump.apis.iter().all(|a| a.methods.is_empty()) {
            eprintln!("error: no endpoint serves {method}");
            return Exit::Usage;
        }
    }
    let text = match args.format {
        TreeFormat::Text => dump.to_text(),
        TreeFormat::Dot => dump.to_dot(),
        TreeFormat::Mermaid => dump.to_mermaid(),
        TreeFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&dump).unwrap_or_default()
        ),
    };
    super::emit(&text)
}
