//! The DataFusion engine: one place builds the session (memory pool, spilling, focus
//! functions, case-sensitive identifiers), registers a dataset and its typed FOCUS view, and
//! runs read-only SQL.

pub mod bounded;
pub mod distinct;
pub mod error;
pub mod formats;
pub mod functions;
pub mod guard;
pub mod input;
pub mod json;
pub mod narrow;
pub mod regex;
pub mod schema;
pub mod sidecar;
pub mod typed;
pub mod view;

pub use error::clean_error;

use crate::rules::catalog::Catalog;
use crate::rules::PhysicalType;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::{cast_with_options, CastOptions};
use datafusion::arrow::datatypes::TimeUnit;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::Result as DfResult;
use datafusion::datasource::MemTable;
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use futures::StreamExt;
use input::{Input, InputError, InputFormat};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Name of the raw source table (columns as read from the files).
pub const SOURCE_TABLE: &str = "focus_source";
/// The table of the dataset's column names, for rules about the columns themselves.
pub const COLUMNS_TABLE: &str = "DatasetColumns";

/// Engine settings shared by every command.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Memory pool size in bytes; operators spill to disk beyond it.
    pub memory_limit: usize,
    pub target_partitions: usize,
    /// Optimized plans shared by the datasets opened with these options (a regression corpus,
    /// a bundle): the same checks on the same shape of data are planned once.
    pub plans: PlanCache,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            memory_limit: 2 << 30,
            target_partitions: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            plans: PlanCache::default(),
        }
    }
}

/// Optimized logical plans by the shape of the data they read and the query. Planning the fused
/// scan of several hundred checks costs far more than running it on a small export; a dataset
/// with the same tables, schemas and typed views reuses the plan, bound to its own files.
#[derive(Clone, Default)]
pub struct PlanCache(Arc<std::sync::Mutex<std::collections::HashMap<String, LogicalPlan>>>);

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "PlanCache({n} plans)")
    }
}

/// Rows per batch. The fused scan evaluates some 250 expressions on each batch; twice
/// DataFusion's 8,192 rows halves their per-batch overhead (10M-row typed Parquet: 12.9–13.7 s
/// against 14.3–14.8 s, 25 MB more memory; CSV unchanged; 32,768 no better). `FOCUS_SQL_BATCH`
/// overrides it for experiments.
const BATCH_ROWS: usize = 16_384;

/// A fresh session: bounded memory with spilling, FOCUS identifiers as written, focus functions.
pub fn session(opts: &EngineOptions) -> DfResult<SessionContext> {
    let batch = std::env::var("FOCUS_SQL_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BATCH_ROWS);
    let config = SessionConfig::new()
        .with_batch_size(batch)
        .with_target_partitions(opts.target_partitions.max(1))
        .with_information_schema(true)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false)
        .set_bool("datafusion.catalog.has_header", true);
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(opts.memory_limit)))
        .with_disk_manager_builder(DiskManagerBuilder::default())
        .build_arc()?;
    let state = datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(narrow::NarrowPreSelection))
        .build();
    let ctx = SessionContext::new_with_state(state);
    functions::register(&ctx);
    Ok(ctx)
}

/// How a source column is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceColumn {
    pub name: String,
    pub data_type: DataType,
}

impl SourceColumn {
    /// The columns of a source schema.
    pub fn of(schema: &Schema) -> Vec<SourceColumn> {
        schema
            .fields()
            .iter()
            .map(|f| SourceColumn {
                name: f.name().clone(),
                data_type: f.data_type().clone(),
            })
            .collect()
    }

    pub fn is_text(&self) -> bool {
        matches!(
            self.data_type,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) || matches!(&self.data_type, DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
    }
}

/// A registered dataset: its session, source columns and the typed `CostAndUsage` view.
pub struct Dataset {
    pub ctx: SessionContext,
    pub columns: Vec<SourceColumn>,
    pub catalog: Catalog,
    /// What the user called it (paths), for reports.
    pub label: String,
    pub format: InputFormat,
    pub kind: view::ViewKind,
    /// Further datasets registered beside the main one (`--table NAME=PATH`), by view name.
    pub attached: Vec<String>,
    /// The columns of those datasets (a query across datasets may read them).
    pub attached_columns: std::collections::HashSet<String>,
    /// The position of each source column by name.
    positions: std::collections::HashMap<String, usize>,
    /// The columns of the registered source table: `columns`, or some of them (a wide CSV copied
    /// with the columns the rules read, see [`Dataset::open_for_rules`]).
    source_columns: Vec<SourceColumn>,
    /// The columnar copy of a large CSV input (deleted when the dataset is dropped).
    _staged: Option<tempfile::TempPath>,
    /// What the typed views are made of (a digest of their SQL): part of a cached plan's key.
    views: Vec<String>,
    /// A digest of each table's schema, computed once per schema: part of a cached plan's key.
    digests: std::sync::Mutex<
        std::collections::HashMap<String, (datafusion::arrow::datatypes::SchemaRef, u64)>,
    >,
    plans: PlanCache,
}

/// Columns beyond which a CSV validated by the rules is copied with only the columns they read
/// ([`Dataset::open_for_rules`]). FOCUS datasets have up to about 130 columns.
pub const WIDE_CSV: usize = 256;

/// CSV inputs at least this large are parsed once into a temporary Parquet file, so that the
/// checks that need their own scan (GROUP BY rules) do not parse the text again.
const STAGE_MIN_BYTES: u64 = 16 << 20;

/// Rows per batch while a CSV input is copied to its columnar form.
const STAGE_BATCH: usize = 2048;

/// Text fields per batch of a CSV scan at most. The CSV reader holds an offset (8 bytes) and room
/// for about 8 bytes of text per field of a batch, zeroed up front: 16,384 rows of 5,000
/// columns made 1.3 GB per scan. Batches of a wide CSV have fewer rows instead (FOCUS exports of
/// up to 256 columns keep the full batch).
const FIELDS_PER_BATCH: usize = 4 << 20;

/// Fewer rows per batch in `ctx` when a CSV source of `columns` columns is read (see
/// [`FIELDS_PER_BATCH`]); never more than the batch it has.
fn fit_batch_to_width(ctx: &SessionContext, columns: usize) {
    let batch = ctx.state().config().batch_size();
    let fit = (FIELDS_PER_BATCH / columns.max(1)).max(1);
    if fit < batch {
        let config = ctx.state().config().clone().with_batch_size(fit);
        *ctx.state_ref().write().config_mut() = config;
    }
}

/// Copy the registered source (all text columns, as read) to a temporary Parquet file and
/// register that in its place. Values are unchanged: text stays text, empty fields stay NULL.
async fn stage(
    ctx: &SessionContext,
    keep: Option<&[&str]>,
) -> DfResult<(tempfile::TempPath, datafusion::arrow::datatypes::SchemaRef)> {
    let tmp = tempfile::Builder::new()
        .prefix("focus-sql-stage-")
        .suffix(".parquet")
        .tempfile()
        .map_err(|e| datafusion::common::DataFusionError::External(Box::new(e)))?
        .into_temp_path();
    let mut parquet = datafusion::config::TableParquetOptions::default();
    parquet.global.max_row_group_size = 128 * 1024;
    parquet.global.compression = Some("lz4_raw".into());
    // Smaller batches while copying: the CSV reader and the writer hold text per batch, and the
    // copy is bound by parsing, not by per-batch overhead (a third less peak memory, same time).
    let batch = ctx.state().config().batch_size();
    let set_batch = |n: usize| {
        let config = ctx.state().config().clone().with_batch_size(n);
        *ctx.state_ref().write().config_mut() = config;
    };
    set_batch(STAGE_BATCH.min(batch));
    let path = tmp.display().to_string();
    let mut source = ctx.table(SOURCE_TABLE).await?;
    if let Some(keep) = keep {
        source = source.select_columns(keep)?;
    }
    source
        .write_parquet(
            &path,
            datafusion::dataframe::DataFrameWriteOptions::new().with_single_file_output(true),
            Some(parquet),
        )
        .await?;
    set_batch(batch);
    ctx.deregister_table(SOURCE_TABLE)?;
    ctx.register_parquet(
        SOURCE_TABLE,
        &path,
        datafusion::prelude::ParquetReadOptions::default(),
    )
    .await?;
    let schema = ctx.table(SOURCE_TABLE).await?.schema().inner().clone();
    Ok((tmp, schema))
}

/// What a dataset is, beside its session and columns.
struct Parts {
    /// Every column of the input, when the source table holds only some of them (a wide CSV
    /// copied with the columns the rules read).
    all_columns: Option<Vec<SourceColumn>>,
    label: String,
    format: InputFormat,
    kind: view::ViewKind,
    staged: Option<tempfile::TempPath>,
    plans: PlanCache,
}

impl Dataset {
    /// Register files as a dataset for rules.
    pub async fn open(
        input: &Input,
        catalog: &Catalog,
        opts: &EngineOptions,
    ) -> Result<Dataset, InputError> {
        Self::open_as(input, catalog, opts, view::ViewKind::Rules).await
    }

    /// Register files as a dataset for the rules, which read the columns of `catalog` and, of
    /// the others, at most those named in `read`. A CSV of more than [`WIDE_CSV`] columns is
    /// then copied once to its columnar form with only those columns: the other custom columns
    /// are parsed once and count by their names only (`DatasetColumns`), not in every query.
    pub async fn open_for_rules(
        input: &Input,
        catalog: &Catalog,
        opts: &EngineOptions,
        read: &std::collections::HashSet<String>,
    ) -> Result<Dataset, InputError> {
        Self::open_with(input, catalog, opts, view::ViewKind::Rules, Some(read)).await
    }

    /// Register files as a dataset whose typed view is of the given kind. The query view also
    /// shows hive-style partition folders (`billing_period=2026-05/`) as columns.
    pub async fn open_as(
        input: &Input,
        catalog: &Catalog,
        opts: &EngineOptions,
        kind: view::ViewKind,
    ) -> Result<Dataset, InputError> {
        Self::open_with(input, catalog, opts, kind, None).await
    }

    async fn open_with(
        input: &Input,
        catalog: &Catalog,
        opts: &EngineOptions,
        kind: view::ViewKind,
        read: Option<&std::collections::HashSet<String>>,
    ) -> Result<Dataset, InputError> {
        let ctx = session(opts).map_err(|e| InputError {
            path: input.files[0].clone(),
            message: e.to_string(),
        })?;
        let hive = kind == view::ViewKind::Query;
        let mut schema = input::register(&ctx, SOURCE_TABLE, input, hive).await?;
        if input.format.is_text() {
            fit_batch_to_width(&ctx, schema.fields().len());
        }
        let text_for_rules = kind == view::ViewKind::Rules
            && matches!(input.format, InputFormat::Csv | InputFormat::CsvGz);
        // The columns a wide CSV is copied with: the catalog's and those the rules name.
        let keep: Option<Vec<&str>> = read
            .filter(|_| text_for_rules && schema.fields().len() > WIDE_CSV)
            .map(|read| {
                let focus = catalog.by_name();
                schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .filter(|n| focus.contains_key(n) || read.contains(*n))
                    .collect::<Vec<&str>>()
            })
            .filter(|k| !k.is_empty());
        let all_columns = keep.as_ref().map(|_| SourceColumn::of(&schema));
        let stage_it =
            text_for_rules && (keep.is_some() || input::total_bytes(input) >= STAGE_MIN_BYTES);
        let staged = if stage_it {
            let (path, staged_schema) =
                stage(&ctx, keep.as_deref()).await.map_err(|e| InputError {
                    path: input.files[0].clone(),
                    message: clean_error(&e.to_string()),
                })?;
            schema = staged_schema;
            Some(path)
        } else {
            None
        };
        let label = input
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let parts = Parts {
            all_columns,
            label,
            format: input.format,
            kind,
            staged,
            plans: opts.plans.clone(),
        };
        Dataset::assemble(ctx, &schema, catalog, parts)
            .await
            .map_err(|e| InputError {
                path: input.files[0].clone(),
                message: clean_error(&e.to_string()),
            })
    }

    /// The dataset over the source table registered in `ctx`, with its typed view.
    async fn assemble(
        ctx: SessionContext,
        schema: &Schema,
        catalog: &Catalog,
        parts: Parts,
    ) -> DfResult<Dataset> {
        let source_columns = SourceColumn::of(schema);
        let columns = parts.all_columns.unwrap_or_else(|| source_columns.clone());
        let positions = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let mut ds = Dataset {
            ctx,
            columns,
            source_columns,
            positions,
            catalog: catalog.clone(),
            label: parts.label,
            format: parts.format,
            kind: parts.kind,
            attached: Vec::new(),
            attached_columns: Default::default(),
            _staged: parts.staged,
            views: Vec::new(),
            digests: Default::default(),
            plans: parts.plans,
        };
        ds.register_view().await?;
        Ok(ds)
    }

    /// A dataset from literal text cells (rule examples): every column VARCHAR, as in a CSV,
    /// except those `types` stores natively (as a Parquet file would).
    pub async fn from_text_rows(
        columns: &[String],
        rows: &[Vec<Option<String>>],
        types: &BTreeMap<String, PhysicalType>,
        catalog: &Catalog,
    ) -> DfResult<Dataset> {
        let opts = EngineOptions {
            memory_limit: 64 << 20,
            target_partitions: 1,
            plans: PlanCache::default(),
        };
        let ctx = session(&opts)?;
        let batch = text_batch(columns, rows, types)?;
        let schema = batch.schema();
        let table = MemTable::try_new(schema.clone(), vec![vec![batch]])?;
        ctx.register_table(SOURCE_TABLE, Arc::new(table))?;
        let format = if types.is_empty() {
            InputFormat::Csv
        } else {
            InputFormat::Parquet
        };
        let parts = Parts {
            all_columns: None,
            label: "example".into(),
            format,
            kind: view::ViewKind::Rules,
            staged: None,
            plans: opts.plans.clone(),
        };
        Dataset::assemble(ctx, &schema, catalog, parts).await
    }

    /// Register literal text rows beside this dataset as the typed view `name` of `catalog`
    /// (a rule example's second dataset).
    pub async fn attach_rows(
        &mut self,
        name: &str,
        columns: &[String],
        rows: &[Vec<Option<String>>],
        catalog: &Catalog,
    ) -> DfResult<()> {
        let batch = text_batch(columns, rows, &BTreeMap::new())?;
        let source = format!("{name}__source");
        self.register_batch(&source, batch.clone())?;
        let cols = SourceColumn::of(&batch.schema());
        self.attached_columns
            .extend(cols.iter().map(|c| c.name.clone()));
        self.register_typed(name, &source, cols, catalog, true, view::ViewKind::Rules)
            .await?;
        self.attached.push(name.to_string());
        Ok(())
    }

    /// Register another export beside this one as the typed view `name`, typed by `catalog`:
    /// `--table NAME=PATH` in `query`, a bundle's second dataset in `validate`.
    pub async fn attach_as(
        &mut self,
        name: &str,
        input: &Input,
        catalog: &Catalog,
        kind: view::ViewKind,
    ) -> Result<(), InputError> {
        self.attach_read_as(name, input, input.format.is_text(), catalog, kind)
            .await
    }

    /// The columnar copy of this dataset's CSV input, when it made one (large CSV inputs).
    pub fn staged_copy(&self) -> Option<&std::path::Path> {
        self._staged.as_deref()
    }

    /// Register another dataset as table `name`; `text` says its values are read as written
    /// (a CSV file, or the columnar copy of one), so the view parses them as a CSV's are.
    pub async fn attach_read_as(
        &mut self,
        name: &str,
        input: &Input,
        text: bool,
        catalog: &Catalog,
        kind: view::ViewKind,
    ) -> Result<(), InputError> {
        let err = |m: String| InputError {
            path: input.files[0].clone(),
            message: m,
        };
        let reserved = [self.catalog.dataset.as_str(), COLUMNS_TABLE, SOURCE_TABLE];
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(name))
            || self.attached.iter().any(|a| a == name)
        {
            return Err(err(format!(
                "--table {name}: that table name is already taken"
            )));
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(err(format!(
                "--table {name}: a table name is letters, digits and _"
            )));
        }
        let source = format!("{name}__source");
        let schema = input::register(&self.ctx, &source, input, true).await?;
        if input.format.is_text() {
            fit_batch_to_width(&self.ctx, schema.fields().len());
        }
        let columns = SourceColumn::of(&schema);
        self.attached_columns
            .extend(columns.iter().map(|c| c.name.clone()));
        self.register_typed(name, &source, columns, catalog, text, kind)
            .await
            .map_err(|e| err(clean_error(&e.to_string())))?;
        self.attached.push(name.to_string());
        Ok(())
    }

    /// Register the typed view `name` of `catalog` over the table `source` of `columns`
    /// (a [`typed::TypedView`]: each query plans only the columns it reads).
    async fn register_typed(
        &mut self,
        name: &str,
        source: &str,
        columns: Vec<SourceColumn>,
        catalog: &Catalog,
        text: bool,
        kind: view::ViewKind,
    ) -> DfResult<()> {
        let items = view::view_items(&columns, catalog, text, kind);
        let digest = digest(|h| {
            for item in &items {
                std::hash::Hash::hash(&item.name, h);
                std::hash::Hash::hash(&item.sql(&columns), h);
            }
        });
        self.views
            .push(format!("{name}: {} columns, {digest:016x}", items.len()));
        let view = typed::TypedView::new(&self.ctx.state(), source, columns, items).await?;
        self.ctx.register_table(
            datafusion::common::TableReference::bare(name),
            Arc::new(view),
        )?;
        Ok(())
    }

    async fn register_view(&mut self) -> DfResult<()> {
        let dataset = self.catalog.dataset.clone();
        let catalog = self.catalog.clone();
        let text = self.format.is_text();
        self.register_typed(
            &dataset,
            SOURCE_TABLE,
            self.source_columns.clone(),
            &catalog,
            text,
            self.kind,
        )
        .await?;
        // DatasetColumns(name, position, is_focus): one row per source column, in file order.
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("position", DataType::Int64, false),
            Field::new("is_focus", DataType::Boolean, false),
        ]));
        let names: ArrayRef = Arc::new(
            self.columns
                .iter()
                .map(|c| Some(c.name.as_str()))
                .collect::<StringArray>(),
        );
        let positions: ArrayRef = Arc::new(
            (1..=self.columns.len() as i64).collect::<datafusion::arrow::array::Int64Array>(),
        );
        let catalog = self.catalog.by_name();
        let focus: ArrayRef = Arc::new(
            self.columns
                .iter()
                .map(|c| Some(catalog.contains_key(c.name.as_str())))
                .collect::<datafusion::arrow::array::BooleanArray>(),
        );
        let batch = RecordBatch::try_new(schema.clone(), vec![names, positions, focus])?;
        let table = MemTable::try_new(schema, vec![vec![batch]])?;
        self.ctx.register_table(
            datafusion::common::TableReference::bare(COLUMNS_TABLE),
            Arc::new(table),
        )?;
        Ok(())
    }

    pub fn column(&self, name: &str) -> Option<&SourceColumn> {
        self.positions.get(name).map(|&i| &self.columns[i])
    }

    /// The position of the source column `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// Plan read-only SQL (errors at planning time surface here).
    pub async fn plan(&self, sql: &str) -> DfResult<DataFrame> {
        self.ctx.sql_with_options(sql, guard::read_only()).await
    }

    /// Run a query returning offending rows: count them all, keep the first `keep` as text.
    pub async fn count_and_sample(&self, sql: &str, keep: usize) -> DfResult<(u64, Sample)> {
        let plan = self.physical_plan(sql, self.plan(sql)).await?;
        let columns: Vec<String> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut stream = datafusion::physical_plan::execute_stream(plan, self.ctx.task_ctx())?;
        let mut count = 0u64;
        let mut rows = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            if rows.len() < keep {
                rows.extend(format_rows(&batch, keep - rows.len())?);
            }
            count += batch.num_rows() as u64;
        }
        Ok((count, Sample { columns, rows }))
    }

    /// Register an in-memory table beside the dataset (evidence the rules may read).
    pub fn register_batch(&self, name: &str, batch: RecordBatch) -> DfResult<()> {
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        self.ctx.register_table(
            datafusion::common::TableReference::bare(name),
            Arc::new(table),
        )?;
        Ok(())
    }

    /// Collect a query's batches.
    /// The key of a cached plan: every table's name and schema (a digest of it, computed once
    /// per schema: a wide file's schema is long), the typed views' SQL (a digest), the query.
    async fn plan_key(&self, query: &str) -> String {
        let mut key = String::new();
        if let Some(schema) = self
            .ctx
            .catalog("datafusion")
            .and_then(|c| c.schema("public"))
        {
            let mut names = schema.table_names();
            names.sort();
            for name in names {
                if let Ok(Some(t)) = schema.table(&name).await {
                    let table_schema = t.schema();
                    let mut digests = self.digests.lock().unwrap_or_else(|e| e.into_inner());
                    let known = digests
                        .get(&name)
                        .filter(|(s, _)| Arc::ptr_eq(s, &table_schema))
                        .map(|(_, d)| *d);
                    let d = match known {
                        Some(d) => d,
                        None => {
                            let d = digest(|h| {
                                use std::fmt::Write;
                                let _ = write!(HashWriter(h), "{table_schema:?}");
                            });
                            digests.insert(name.clone(), (table_schema.clone(), d));
                            d
                        }
                    };
                    key.push_str(&format!(
                        "{name}: {} fields, {d:016x}\n",
                        table_schema.fields().len()
                    ));
                }
            }
        }
        for v in &self.views {
            key.push_str(v);
            key.push('\n');
        }
        key.push_str(query);
        key
    }

    /// The physical plan of `frame` (built by the caller for the query `query`), optimized once
    /// per shape of data: a later dataset with the same tables and views reuses the optimized
    /// plan, each table scan bound to its own table.
    pub async fn physical_plan(
        &self,
        query: &str,
        frame: impl std::future::Future<Output = DfResult<DataFrame>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let key = self.plan_key(query).await;
        let cached = self.plans.0.lock().ok().and_then(|m| m.get(&key).cloned());
        let state = self.ctx.state();
        let plan = match cached {
            Some(plan) => self.rebind(plan).await?,
            None => {
                let (_, plan) = frame.await?.into_parts();
                let optimized = state.optimize(&plan)?;
                if let Ok(mut m) = self.plans.0.lock() {
                    m.insert(key, optimized.clone());
                }
                optimized
            }
        };
        state
            .query_planner()
            .create_physical_plan(&plan, &state)
            .await
    }

    /// Point every table scan of `plan` at this dataset's table of the same name.
    async fn rebind(&self, plan: LogicalPlan) -> DfResult<LogicalPlan> {
        use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
        let mut names = Vec::new();
        plan.apply(|node| {
            if let LogicalPlan::TableScan(scan) = node {
                names.push(scan.table_name.clone());
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        let mut sources = std::collections::HashMap::new();
        for name in names {
            let provider = self.ctx.table_provider(name.clone()).await?;
            sources.insert(name, datafusion::datasource::provider_as_source(provider));
        }
        Ok(plan
            .transform_up(|node| match node {
                LogicalPlan::TableScan(mut scan) => {
                    if let Some(source) = sources.get(&scan.table_name) {
                        scan.source = source.clone();
                    }
                    Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
                }
                other => Ok(Transformed::no(other)),
            })?
            .data)
    }

    pub async fn collect(&self, sql: &str) -> DfResult<Vec<RecordBatch>> {
        self.plan(sql).await?.collect().await
    }
}

/// Literal text cells as a batch: every column VARCHAR, as in a CSV, except those `types` stores
/// natively (as a Parquet file would).
fn text_batch(
    columns: &[String],
    rows: &[Vec<Option<String>>],
    types: &BTreeMap<String, PhysicalType>,
) -> DfResult<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let text: ArrayRef = Arc::new(rows.iter().map(|r| r[i].clone()).collect::<StringArray>());
        let ty = match types.get(c) {
            None | Some(PhysicalType::String) => DataType::Utf8,
            Some(PhysicalType::Double) => DataType::Float64,
            Some(PhysicalType::Int64) => DataType::Int64,
            Some(PhysicalType::Boolean) => DataType::Boolean,
            Some(PhysicalType::Timestamp) => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
        };
        let array = if ty == DataType::Utf8 {
            text
        } else {
            let strict = CastOptions {
                safe: false,
                ..Default::default()
            };
            cast_with_options(&text, &ty, &strict)?
        };
        fields.push(Field::new(c, ty, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    if columns.is_empty() {
        Ok(RecordBatch::new_empty(schema))
    } else {
        Ok(RecordBatch::try_new(schema, arrays)?)
    }
}

/// A few rows shown as text.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Sample {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Up to `limit` rows of a batch rendered as text (None for NULL).
pub fn format_rows(batch: &RecordBatch, limit: usize) -> DfResult<Vec<Vec<Option<String>>>> {
    let options = FormatOptions::default().with_display_error(true);
    let formatters: Vec<ArrayFormatter> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<_, _>>()?;
    let n = batch.num_rows().min(limit);
    Ok((0..n)
        .map(|r| {
            batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(col, f)| {
                    if col.is_null(r) {
                        None
                    } else {
                        Some(f.value(r).to_string())
                    }
                })
                .collect()
        })
        .collect())
}

/// A 64-bit digest of what `feed` hashes (the same in every run: plan keys compare them).
fn digest(feed: impl FnOnce(&mut std::collections::hash_map::DefaultHasher)) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(&mut h);
    std::hash::Hasher::finish(&h)
}

/// Text written to a hasher, so that a long rendering is hashed without being held.
struct HashWriter<'a, H: std::hash::Hasher>(&'a mut H);

impl<H: std::hash::Hasher> std::fmt::Write for HashWriter<'_, H> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

/// Quote an identifier for generated SQL.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote a string literal for generated SQL.
pub fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
