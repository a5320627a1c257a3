//! Holds real answers to the document: each must be documented for its operation, status and
//! media type, follow the documented schema, and, where the document has an example, match it.
use super::Answer;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Keys whose values are made fresh by each run.
const GENERATED: [&str; 5] = [
    "order_id",
    "created_at",
    "starts_at",
    "instance",
    "expires_at",
];

pub struct Checker {
    document: Value,
    /// JSON pointers of the examples compared with a real answer (or sent as a real request).
    compared: BTreeSet<String>,
}

impl Checker {
    pub fn new(document: Value) -> Self {
        Self {
            document,
            compared: BTreeSet::new(),
        }
    }

    /// The documented example of a request body, which the test then sends for real.
    pub fn request_example(&mut self, schema: &str) -> Value {
        let pointer = format!("/components/schemas/{schema}/example");
        let example = self.document.pointer(&pointer).cloned();
        self.compared.insert(pointer);
        example.unwrap_or_else(|| panic!("{schema} has no example"))
    }

    /// The answer is documented for its operation and status, with its media type, and follows
    /// the documented schema; the documented example's pointer, if there is one.
    pub fn answer(&mut self, method: &str, path: &str, answer: &Answer) -> Option<String> {
        let status = answer.status.to_string();
        let what = format!("{method} {path} answering {status} {}", answer.body);
        let mut at = format!("/paths/{}/{method}/responses/{status}", escape(path));
        if let Some(shared) = self.document.pointer(&format!("{at}/$ref")) {
            at = shared.as_str().unwrap().trim_start_matches('#').to_owned();
        }
        at = format!("{at}/content/{}", escape(&answer.content_type));
        let media = self.document.pointer(&at);
        let media = media.unwrap_or_else(|| panic!("{what}: not documented at {at}"));
        let schema = &media["schema"];
        validate(&self.document, schema, &answer.body, &what);
        if media.get("example").is_some() {
            return Some(format!("{at}/example"));
        }
        let name = schema["$ref"]
            .as_str()?
            .strip_prefix("#/components/schemas/")?;
        let pointer = format!("/components/schemas/{name}/example");
        self.document.pointer(&pointer).map(|_| pointer)
    }

    /// As `answer`, and the answer matches the documented example.
    pub fn example(&mut self, method: &str, path: &str, answer: &Answer) {
        let what = format!("{method} {path} answering {}", answer.status);
        let pointer = self.answer(method, path, answer);
        let pointer = pointer.unwrap_or_else(|| panic!("{what}: no example documented"));
        compare(
            &self.document.pointer(&pointer).unwrap().clone(),
            &answer.body,
            "",
            &what,
        );
        self.compared.insert(pointer);
    }

    /// Every example the document holds was compared.
    pub fn all_compared(&self) {
        let mut examples = BTreeSet::new();
        find_examples(&self.document, String::new(), &mut examples);
        let unchecked: Vec<_> = examples.difference(&self.compared).collect();
        assert!(
            unchecked.is_empty(),
            "examples no real answer was compared with: {unchecked:?}"
        );
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn find_examples(value: &Value, at: String, out: &mut BTreeSet<String>) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, child) in object {
        let pointer = format!("{at}/{}", escape(key));
        if key == "example" || key == "examples" {
            out.insert(pointer);
        } else {
            find_examples(child, pointer, out);
        }
    }
}

/// JSON Schema 2020-12 (OpenAPI 3.1's dialect), with `$ref`s resolved in the document, and no
/// property the schema does not name at the top level of the answer.
fn validate(document: &Value, schema: &Value, body: &Value, what: &str) {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "allOf": [schema],
        "unevaluatedProperties": false,
    });
    let validator = jsonschema::draft202012::new(&root).expect("the documented schema compiles");
    if let Err(error) = validator.validate(body) {
        panic!(
            "{what}: does not follow its schema: {error} at {}",
            error.instance_path()
        );
    }
}

/// Same keys and types throughout; same values except the generated ones.
fn compare(example: &Value, real: &Value, at: &str, what: &str) {
    match (example, real) {
        (Value::Object(example), Value::Object(real)) => {
            let keys = |object: &serde_json::Map<String, Value>| {
                object.keys().cloned().collect::<BTreeSet<_>>()
            };
            assert_eq!(
                keys(example),
                keys(real),
                "{what}: the keys at `{at}` differ (example left)"
            );
            for (key, value) in example {
                compare(value, &real[key], &format!("{at}.{key}"), what);
            }
        }
        (Value::Array(example), Value::Array(real)) => {
            assert_eq!(
                example.len(),
                real.len(),
                "{what}: the lengths at `{at}` differ"
            );
            for (example, real) in example.iter().zip(real) {
                compare(example, real, &format!("{at}[]"), what);
            }
        }
        _ => {
            let kind = |value: &Value| std::mem::discriminant(value);
            assert_eq!(
                kind(example),
                kind(real),
                "{what}: the types at `{at}` differ: {example} vs {real}"
            );
            let key = at.rsplit('.').next().unwrap_or_default();
            if !GENERATED.contains(&key) {
                assert_eq!(
                    example, real,
                    "{what}: the values at `{at}` differ (example left)"
                );
            }
        }
    }
}
