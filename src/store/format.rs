//! What kind of data file a name is: the one place that tells CSV, gzipped CSV, Parquet and
//! JSON lines apart by their endings, for the local walk, the remote listing and the provider
//! layouts alike.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum InputFormat {
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "csv.gz")]
    CsvGz,
    #[serde(rename = "parquet")]
    Parquet,
    #[serde(rename = "ndjson")]
    NdJson,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl InputFormat {
    pub fn of(path: &Path) -> Option<InputFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".csv.gz") || name.ends_with(".csv.gzip") {
            Some(InputFormat::CsvGz)
        } else if name.ends_with(".csv") {
            Some(InputFormat::Csv)
        } else if name.ends_with(".parquet") || name.ends_with(".parq") {
            Some(InputFormat::Parquet)
        } else if name.ends_with(".ndjson") || name.ends_with(".jsonl") || name.ends_with(".json") {
            Some(InputFormat::NdJson)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::CsvGz => "csv.gz",
            InputFormat::Parquet => "parquet",
            InputFormat::NdJson => "ndjson",
        }
    }

    /// Text formats: every value is read as written (VARCHAR).
    /// The file name ending of this format, for listing a directory.
    pub fn extension(self) -> &'static str {
        match self {
            InputFormat::Csv => ".csv",
            InputFormat::CsvGz => ".csv.gz",
            InputFormat::Parquet => ".parquet",
            InputFormat::NdJson => ".ndjson",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, InputFormat::Csv | InputFormat::CsvGz)
    }
}
