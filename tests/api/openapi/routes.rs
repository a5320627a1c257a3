//! Every route the app serves is in the document, and every route in the document is served.
//!
//! The served routes are not a list kept by hand, which would drift like the document: the
//! resource patterns come from the app's own routing table (actix's `ResourceMap`, built by the
//! same `routes::configure` the server runs), and the methods each serves are found by asking
//! the running app every method on every pattern. A new handler registered without its
//! `#[utoipa::path]` fails here, and so does a documented route nothing serves.
use super::routing_table::registered_patterns;
use super::{Answer, call, document};
use crate::helpers::spawn_app;
use std::collections::BTreeSet;

/// Served, and deliberately not documented: the document itself and its viewer.
const UNDOCUMENTED: [(&str, &str); 3] = [
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/{_:.*}"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

#[tokio::test]
async fn the_routes_served_are_the_routes_documented() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().unwrap().keys();
            methods.map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect();

    let mut served = BTreeSet::new();
    for pattern in registered_patterns().await {
        let path = pattern_to_path(&pattern);
        for method in METHODS {
            let answer = call(&app, method.parse().unwrap(), &path, None, true).await;
            if is_served(&answer) {
                served.insert((method.to_owned(), pattern.clone()));
            }
        }
    }
    for (method, path) in UNDOCUMENTED {
        let route = (method.to_owned(), path.to_owned());
        assert!(served.remove(&route), "{method} {path} is no longer served");
    }

    let undocumented: Vec<_> = served.difference(&documented).collect();
    let not_served: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served, not documented: {undocumented:?}"
    );
    assert!(
        not_served.is_empty(),
        "documented, not served: {not_served:?}"
    );

    let mut operation_ids = BTreeSet::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(operation_ids.insert(id), "operationId {id} is not unique");
        }
    }
}

/// The README's API section names routes too: each is in the document.
#[tokio::test]
async fn the_routes_the_readme_lists_are_documented() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split("\n## HTTP API")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has an HTTP API section");
    let mut listed = 0;
    for chunk in section.split('`').skip(1).step_by(2) {
        let Some((method, path)) = chunk.split_once(' ') else {
            continue;
        };
        if !METHODS.contains(&method) || !path.starts_with('/') {
            continue;
        }
        let path = path.split(['?', ' ']).next().unwrap();
        if UNDOCUMENTED.iter().any(|(m, p)| (*m, *p) == (method, path)) {
            continue;
        }
        listed += 1;
        let found = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .any(|(doc_path, item)| {
                same_shape(doc_path, path) && item.get(method.to_lowercase()).is_some()
            });
        assert!(
            found,
            "the README's `{method} {path}` is not in the document"
        );
    }
    assert!(
        listed >= 15,
        "only {listed} routes found in the README: is it still parsed?"
    );
}

/// The answer of a route that exists: anything but the problems of an unknown path or method.
fn is_served(answer: &Answer) -> bool {
    let code = answer.body["code"].as_str();
    !(answer.status == 405 || answer.status == 404 && code == Some("not_found"))
}

/// A request path matching `pattern`, naming nothing that exists: `{sale_id}` becomes
/// `probe`, so calls are answered without changing anything.
fn pattern_to_path(pattern: &str) -> String {
    let mut path = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        path.push_str("probe");
        rest = &rest[rest[start..]
            .find('}')
            .map_or(rest.len(), |end| start + end + 1)..];
    }
    path.push_str(rest);
    path
}

/// Equal once parameter names are ignored (the README writes `{id}` for `{sale_id}`).
fn same_shape(a: &str, b: &str) -> bool {
    pattern_to_path(a) == pattern_to_path(b)
}
