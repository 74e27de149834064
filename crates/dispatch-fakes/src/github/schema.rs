//! The part of GitHub's GraphQL schema the fake serves, and the checks GitHub makes before it
//! runs a query: fields that exist on their type, selections on objects and none on scalars,
//! known arguments, required ones present, `first` or `last` (1 to 100) on every connection,
//! variables declared, used and given. A query failing any of them is refused whole.

use serde_json::{Value as Json, json};

use super::query::{Field, Operation, Selection, Value};

/// The object types (and the one union) the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Query,
    Repository,
    IssueConnection,
    SearchResultItemConnection,
    PageInfo,
    Issue,
    Actor,
    /// The union of search results: only `__typename` and `... on Issue` are served.
    SearchResultItem,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::Repository => "Repository",
            Self::IssueConnection => "IssueConnection",
            Self::SearchResultItemConnection => "SearchResultItemConnection",
            Self::PageInfo => "PageInfo",
            Self::Issue => "Issue",
            Self::Actor => "Actor",
            Self::SearchResultItem => "SearchResultItem",
        }
    }
}

/// What a field returns: a scalar (`None`) or an object type; `None` if the field does not exist.
fn field_type(parent: Type, field: &str) -> Option<Option<Type>> {
    use Type::*;
    Some(match (parent, field) {
        (_, "__typename") => None,
        (Query, "repository") => Some(Repository),
        (Query, "search") => Some(SearchResultItemConnection),
        (Query, "viewer") => Some(Actor),
        (Repository, "issues") => Some(IssueConnection),
        (Repository, "name" | "nameWithOwner") => None,
        (IssueConnection, "nodes") => Some(Issue),
        (SearchResultItemConnection, "nodes") => Some(SearchResultItem),
        (IssueConnection | SearchResultItemConnection, "pageInfo") => Some(PageInfo),
        (IssueConnection, "totalCount") | (SearchResultItemConnection, "issueCount") => None,
        (PageInfo, "hasNextPage" | "hasPreviousPage" | "endCursor" | "startCursor") => None,
        (Issue, "number" | "title" | "body" | "url" | "state" | "createdAt" | "closed") => None,
        (Issue, "author") => Some(Actor),
        (Actor, "login") => None,
        _ => return None,
    })
}

/// The arguments a field accepts, and which of them it requires.
fn arguments_of(parent: Type, field: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match (parent, field) {
        (Type::Query, "repository") => (&["owner", "name", "followRenames"], &["owner", "name"]),
        (Type::Query, "search") => (&["query", "type", "first", "last", "after", "before"], &["query", "type"]),
        (Type::Repository, "issues") => {
            (&["first", "last", "after", "before", "orderBy", "states", "labels", "filterBy"], &[])
        }
        _ => (&[], &[]),
    }
}

/// The value of an argument, with variables replaced.
pub(super) fn evaluate(value: &Value, variables: &Json) -> Json {
    match value {
        Value::Variable(name) => variables.get(name).cloned().unwrap_or(Json::Null),
        Value::Literal(literal) => literal.clone(),
        Value::Enum(name) => Json::String(name.clone()),
        Value::List(items) => Json::Array(items.iter().map(|v| evaluate(v, variables)).collect()),
        Value::Object(fields) => {
            Json::Object(fields.iter().map(|(k, v)| (k.clone(), evaluate(v, variables))).collect())
        }
    }
}

/// An argument of a field, evaluated.
pub(super) fn argument(field: &Field, name: &str, variables: &Json) -> Json {
    field.arguments.iter().find(|(n, _)| n == name).map_or(Json::Null, |(_, v)| evaluate(v, variables))
}

/// Every reason GitHub would refuse `operation` with `variables`; empty if it would run it.
pub(super) fn check(operation: &Operation, variables: &Json) -> Vec<Json> {
    let mut errors = Vec::new();
    let label = operation.name.clone().unwrap_or_else(|| "anonymous query".to_owned());
    let mut used = Vec::new();
    selections(&operation.selections, Type::Query, variables, &mut used, &mut errors);
    for name in &used {
        if !operation.variables.iter().any(|v| &v.name == name) {
            errors.push(json!({ "message": format!("Variable ${name} is used by {label} but not declared") }));
        }
    }
    for variable in &operation.variables {
        if !used.contains(&variable.name) {
            errors
                .push(json!({ "message": format!("Variable ${} is declared by {label} but not used", variable.name) }));
        }
        if variable.ty.ends_with('!') && variables.get(&variable.name).is_none_or(Json::is_null) {
            let message = format!("Variable ${} of type {} was provided invalid value", variable.name, variable.ty);
            errors.push(json!({ "message": message, "extensions": { "value": null, "problems": [{ "path": [], "explanation": "Expected value to not be null" }] } }));
        }
    }
    errors
}

fn selections(list: &[Selection], parent: Type, variables: &Json, used: &mut Vec<String>, errors: &mut Vec<Json>) {
    for selection in list {
        match selection {
            Selection::On(on, inner) if parent == Type::SearchResultItem && on == "Issue" => {
                selections(inner, Type::Issue, variables, used, errors);
            }
            Selection::On(on, inner) if on == parent.name() => selections(inner, parent, variables, used, errors),
            Selection::On(on, _) if parent == Type::SearchResultItem => {
                errors.push(json!({ "message": format!("fake GitHub: search results other than issues ({on}) are not served") }));
            }
            Selection::On(on, _) => errors.push(json!({
                "message": format!("Fragment on {on} can't be spread inside {}", parent.name()),
            })),
            Selection::Field(field) => self::field(field, parent, variables, used, errors),
        }
    }
}

fn field(field: &Field, parent: Type, variables: &Json, used: &mut Vec<String>, errors: &mut Vec<Json>) {
    let mut refuse = |message: String| {
        errors.push(json!({ "message": message, "extensions": { "code": "undefinedField", "typeName": parent.name(), "fieldName": field.name } }))
    };
    if parent == Type::SearchResultItem && field.name != "__typename" {
        return refuse(format!("Selections can't be made directly on unions (see selections on {})", parent.name()));
    }
    let Some(returns) = field_type(parent, &field.name) else {
        return refuse(format!("Field '{}' doesn't exist on type '{}'", field.name, parent.name()));
    };
    let (accepted, required) = arguments_of(parent, &field.name);
    for (name, value) in &field.arguments {
        collect_variables(value, used);
        if !accepted.contains(&name.as_str()) {
            refuse(format!("Field '{}' doesn't accept argument '{name}'", field.name));
        }
    }
    for name in required {
        if !field.arguments.iter().any(|(n, _)| n == name) {
            refuse(format!("Field '{}' is missing required arguments: {name}", field.name));
        }
    }
    if matches!(returns, Some(Type::IssueConnection | Type::SearchResultItemConnection)) {
        let first = argument(field, "first", variables);
        let last = argument(field, "last", variables);
        match first.as_i64().or(last.as_i64()) {
            None => refuse(format!(
                "You must provide a `first` or `last` value to properly paginate the `{}` connection.",
                field.name
            )),
            Some(n) if !(1..=100).contains(&n) => refuse(format!(
                "Requesting {n} records on the `{}` connection exceeds the `first` limit of 100 records.",
                field.name
            )),
            Some(_) => {}
        }
    }
    match returns {
        None if !field.selections.is_empty() => {
            refuse(format!("Selections can't be made on scalars (field '{}' returns a scalar)", field.name));
        }
        Some(ty) if field.selections.is_empty() => refuse(format!(
            "Field must have selections (field '{}' returns {} but has no selections. Did you mean '{} {{ ... }}'?)",
            field.name,
            ty.name(),
            field.name
        )),
        Some(ty) => selections(&field.selections, ty, variables, used, errors),
        None => {}
    }
}

fn collect_variables(value: &Value, used: &mut Vec<String>) {
    match value {
        Value::Variable(name) if !used.contains(name) => used.push(name.clone()),
        Value::List(items) => items.iter().for_each(|v| collect_variables(v, used)),
        Value::Object(fields) => fields.iter().for_each(|(_, v)| collect_variables(v, used)),
        _ => {}
    }
}
