//! `gatehouse inventory`: one row per endpoint, as a table, CSV, Markdown
//! or JSON. The rows come from [`gatehouse::PolicySet::inventory`].

use gatehouse_tools::analysis::inventory::{Inventory, COLUMNS};

use crate::args::{InventoryArgs, InventoryFormat};
use crate::exit::Exit;
use crate::load;
use crate::render::Style;

pub fn run(args: &InventoryArgs) -> Exit {
    // Tables are plain text: no colour, so they paste anywhere.
    let policy = match load::policy_set(&args.paths, Style { color: false }) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    let inventory = gatehouse_tools::analysis::inventory::inventory(&policy);
    let text = match args.format {
        InventoryFormat::Table => table(&inventory),
        InventoryFormat::Csv => csv(&inventory),
        InventoryFormat::Markdown => markdown(&inventory),
        InventoryFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&inventory).unwrap_or_default()
        ),
    };
    super::emit(&text)
}

fn rows(inventory: &Inventory) -> Vec<Vec<String>> {
    let mut rows = vec![COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    rows.extend(inventory.endpoints.iter().map(|r| r.cells()));
    rows
}

/// Aligned columns, two spaces apart.
pub fn table(inventory: &Inventory) -> String {
    let mut out = crate::render::columns(&rows(inventory));
    out.push_str(&format!(
        "\n{} endpoint{}\n",
        inventory.endpoints.len(),
        if inventory.endpoints.len() == 1 {
            ""
        } else {
            "s"
        }
    ));
    out
}

/// RFC 4180: fields with a comma, quote or line break are quoted.
pub fn csv(inventory: &Inventory) -> String {
    let field = |cell: &String| {
        if cell.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", cell.replace('"', "\"\""))
        } else {
            cell.clone()
        }
    };
    let mut out = String::new();
    for row in rows(inventory) {
        out.push_str(&row.iter().map(field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn markdown(inventory: &Inventory) -> String {
    // `|` ends a cell and `*` or `_` could start emphasis: escaped.
    let cell = |c: &String| {
        c.replace('|', "\\|")
            .replace('*', "\\*")
            .replace('_', "\\_")
    };
    let mut rows = rows(inventory).into_iter();
    let mut out = String::new();
    if let Some(header) = rows.next() {
        out.push_str(&format!(
            "| {} |\n",
            header.iter().map(cell).collect::<Vec<_>>().join(" | ")
        ));
        out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if (1..=2).contains(&i) {
                    format!("`{}`", c)
                } else {
                    cell(c)
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}
