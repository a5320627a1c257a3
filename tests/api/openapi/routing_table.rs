//! The patterns of every resource the app registers, read from actix's own routing table
//! (`ResourceMap`), which has no public way to list them: its `Debug` form is walked instead. A
//! change of that form fails the caller loudly (no pattern, or none that matches the
//! document), never silently.
use actix_web::{App, HttpRequest, test, web};

/// Where the test reads the routing table from; not a route of the app.
const TABLE: &str = "/__routing_table";

/// The full pattern of every resource `routes::configure` registers, scopes resolved.
pub async fn registered_patterns() -> Vec<String> {
    let app = test::init_service(
        App::new().configure(flashsale::routes::configure).route(
            TABLE,
            web::get()
                .to(|request: HttpRequest| async move { format!("{:?}", request.resource_map()) }),
        ),
    )
    .await;
    let table = test::call_and_read_body(&app, test::TestRequest::get().uri(TABLE).to_request());
    let table = String::from_utf8(table.await.to_vec()).unwrap();
    let mut patterns = Vec::new();
    resources(&table, "", &mut patterns);
    patterns.retain(|pattern| pattern != TABLE);
    assert!(
        patterns.len() > 10,
        "the routing table was not read: {patterns:?}"
    );
    patterns
}

/// Walks the `Debug` form of a `ResourceMap` node (`ResourceMap { pattern: ResourceDef { ..,
/// patterns: Single("/x"), .. }, named: {..}, parent: .., nodes: Some([..]) | None }`): a leaf is
/// a resource, a node with `nodes` a scope whose children's patterns follow its own.
fn resources(node: &str, prefix: &str, out: &mut Vec<String>) {
    let pattern = node
        .split_once("patterns: Single(\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(pattern, _)| pattern)
        .expect("a node has one pattern");
    let full = format!("{prefix}{pattern}");
    let Some(nodes) = top_level_field(node, "nodes: Some(") else {
        out.push(full);
        return;
    };
    for child in top_level_items(nodes) {
        resources(child, &full, out);
    }
}

/// The text after `field` at the node's own level (not inside `named` or a child).
fn top_level_field<'a>(node: &'a str, field: &str) -> Option<&'a str> {
    outside_strings(node)
        .into_iter()
        .find(|&(i, _, depth)| depth == 1 && node[i..].starts_with(field))
        .map(|(i, _, _)| &node[i + field.len()..])
}

/// The `ResourceMap { .. }` items of the list that opens `text` (`[a, b, ..]`).
fn top_level_items(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = None;
    for (i, c, depth) in outside_strings(text) {
        match (c, depth) {
            ('{', 1) => start = Some(i),
            ('}', 2) => items.extend(start.take().map(|start| &text[start..=i])),
            ('}' | ']' | ')', 1) => break,
            _ => {}
        }
    }
    items
}

/// The characters outside string literals, each with the bracket depth before it.
fn outside_strings(text: &str) -> Vec<(usize, char, i32)> {
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    let mut characters = Vec::new();
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        characters.push((i, c, depth));
        match c {
            '"' => in_string = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth -= 1,
            _ => {}
        }
    }
    characters
}
