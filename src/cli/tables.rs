//! Answers of the admin API as tables for a terminal.
use comfy_table::Table;
use serde_json::Value;

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One line per element of `list` (an array of objects), with these columns.
pub fn rows(list: &Value, columns: &[&str]) -> String {
    let mut table = Table::new();
    table.set_header(columns.iter().map(|column| column.to_uppercase()));
    for item in list.as_array().into_iter().flatten() {
        table.add_row(columns.iter().map(|column| cell(&item[*column])));
    }
    table.to_string()
}

/// One line per field of an object, by field name.
pub fn fields(object: &Value) -> String {
    let mut table = Table::new();
    for (field, value) in object.as_object().into_iter().flatten() {
        table.add_row([field.clone(), cell(value)]);
    }
    table.to_string()
}
