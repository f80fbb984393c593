//! `focus_json_schema(text, 'focus-1.4/ContractAppliedObject')`: TRUE when the JSON text is valid
//! against that JSON Schema of `rules.d/schemas/` (FOCUS 1.4 gives one per JSON object column).
//! Each schema is compiled once per process, the first time a query names it; each distinct
//! value of a batch is validated once.

use datafusion::arrow::array::{Array, AsArray, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Compiled = Arc<jsonschema::Validator>;

/// Compiled schemas by name, with the text each was compiled from (a schema whose text the
/// rule loader has since changed is compiled again).
fn compiled() -> &'static Mutex<HashMap<String, (String, Compiled)>> {
    static COMPILED: OnceLock<Mutex<HashMap<String, (String, Compiled)>>> = OnceLock::new();
    COMPILED.get_or_init(Default::default)
}

/// The compiled schema named `name` (its path under rules.d/schemas without `.json`).
pub fn validator(name: &str) -> std::result::Result<Compiled, String> {
    let (display, text) = crate::rules::schemas::text(name)?;
    let mut cache = compiled().lock().expect("schema cache");
    if let Some((t, v)) = cache.get(name) {
        if *t == text {
            return Ok(v.clone());
        }
    }
    let schema: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{display}:{}: not JSON: {e}", e.line()))?;
    let v = jsonschema::validator_for(&schema)
        .map_err(|e| format!("{display}: not a valid JSON Schema: {e}"))?;
    let v = Arc::new(v);
    cache.insert(name.to_string(), (text, v.clone()));
    Ok(v)
}

/// Whether `text` is JSON valid against `schema` (text that is not JSON is not valid).
pub fn is_valid(schema: &jsonschema::Validator, text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => schema.is_valid(&v),
        Err(_) => false,
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonSchemaFn {
    signature: Signature,
}

impl ScalarUDFImpl for JsonSchemaFn {
    fn name(&self) -> &str {
        "focus_json_schema"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let name = match &args.args[1] {
            ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(s))
                | ScalarValue::Utf8View(Some(s))
                | ScalarValue::LargeUtf8(Some(s)),
            ) => s.clone(),
            _ => return exec_err!("focus_json_schema: the schema name must be a literal"),
        };
        let schema = match validator(&name) {
            Ok(s) => s,
            Err(e) => return exec_err!("{e}"),
        };
        let values = args.args[0].to_array(n)?;
        let values = datafusion::arrow::compute::cast(&values, &DataType::Utf8View)?;
        let values = values.as_string_view();
        let mut seen: HashMap<&str, bool> = HashMap::new();
        let mut out = BooleanBuilder::with_capacity(n);
        for i in 0..n {
            if values.is_null(i) {
                out.append_null();
                continue;
            }
            let text = values.value(i);
            let ok = *seen.entry(text).or_insert_with(|| is_valid(&schema, text));
            out.append_value(ok);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

pub fn udf() -> ScalarUDF {
    ScalarUDF::from(JsonSchemaFn {
        signature: Signature::string(2, Volatility::Immutable),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_schema_compiles() {
        let names: Vec<String> = crate::rules::embedded::all()
            .iter()
            .filter_map(|(p, _)| p.strip_prefix("schemas/"))
            .filter_map(|p| p.strip_suffix(".json"))
            .map(str::to_string)
            .collect();
        assert!(names.len() >= 4, "{names:?}");
        for n in &names {
            validator(n).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(validator("focus-1.4/NoSuchObject")
            .unwrap_err()
            .contains("known:"));
    }

    #[test]
    fn contract_applied_elements_need_their_ids() {
        let s = validator("focus-1.4/ContractAppliedObject").unwrap();
        let ok = r#"{"Elements":[{"ContractId":"c-1","ContractCommitmentId":"cc-1","ContractCommitmentAppliedCost":12.5}]}"#;
        assert!(is_valid(&s, ok));
        let no_id = r#"{"Elements":[{"ContractId":"c-1","ContractCommitmentAppliedCost":12.5}]}"#;
        assert!(!is_valid(&s, no_id));
        assert!(!is_valid(&s, r#"{"Elements":[]}"#));
        assert!(!is_valid(&s, "not json"));
    }
}
