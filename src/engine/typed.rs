//! The typed view as a table of its own, planned per query for the columns the query reads.
//!
//! A DataFusion view (`SELECT expr AS name, … FROM source`) is planned into every query that
//! reads it, all its columns included, and its planning is quadratic in its width: each column
//! is looked up in the source schema by a linear search, when the view is built and again in
//! the optimizer passes of every query. An export with 20,000 custom columns then took minutes
//! to count its rows. [`TypedView`] builds its schema in one pass over the columns and, for each
//! scan, plans only the columns the query reads: the source scan projected to their source
//! columns, their expressions, the filters DataFusion hands down and the limit. The values are
//! the view's own (the same SQL expressions, see [`super::view::view_items`]), so nothing a query
//! sees changes; what costs time is now the columns a query reads, not the columns a file has.

use super::view::{ViewExpr, ViewItem};
use super::SourceColumn;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Column, DFSchema, DataFusionError, Result, TableReference};
use datafusion::datasource::{provider_as_source, TableProvider, TableType};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Expr, ExprSchemable, LogicalPlanBuilder, TableProviderFilterPushDown,
};
use datafusion::physical_plan::ExecutionPlan;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A typed view over a registered source table (see the module comment).
#[derive(Debug)]
pub struct TypedView {
    /// The source table's name (the qualifier of its columns in the plans built here).
    source_name: String,
    source: Arc<dyn TableProvider>,
    /// The source columns, by position.
    columns: Vec<SourceColumn>,
    items: Vec<ViewItem>,
    schema: SchemaRef,
    /// The view's column positions by name (the filters name the columns they read).
    index: HashMap<String, usize>,
    /// The expressions of [`ViewExpr::Sql`] items parsed so far, by item.
    parsed: Mutex<HashMap<usize, Expr>>,
}

impl TypedView {
    /// The view of `items` over the table `source_name` registered in `state`.
    pub async fn new(
        state: &SessionState,
        source_name: &str,
        columns: Vec<SourceColumn>,
        items: Vec<ViewItem>,
    ) -> Result<TypedView> {
        let source = state
            .schema_for_ref(TableReference::bare(source_name))?
            .table(source_name)
            .await?
            .ok_or_else(|| DataFusionError::Plan(format!("no table {source_name}")))?;
        let source_schema = source.schema();
        let mut fields: Vec<FieldRef> = Vec::with_capacity(items.len());
        let mut parsed = HashMap::new();
        // The field of `focus_null_word(c)` for each type and nullability of `c`.
        let mut null_word: HashMap<(DataType, bool), FieldRef> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let input = source_schema.field(item.source);
            let field = match &item.expr {
                ViewExpr::Plain => Arc::new(input.clone()),
                ViewExpr::NullWord if input.metadata().is_empty() => {
                    let key = (input.data_type().clone(), input.is_nullable());
                    match null_word.get(&key) {
                        Some(f) => f.clone(),
                        None => {
                            let f = field_of(state, &item.sql(&columns), input)?;
                            null_word.insert(key, f.clone());
                            f
                        }
                    }
                }
                ViewExpr::NullWord => field_of(state, &item.sql(&columns), input)?,
                ViewExpr::Sql(sql) => {
                    let (expr, field) = parse(state, sql, input)?;
                    parsed.insert(i, expr);
                    field
                }
            };
            fields.push(Arc::new(field.as_ref().clone().with_name(&item.name)));
        }
        let index = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.name.clone(), i))
            .collect();
        Ok(TypedView {
            source_name: source_name.to_string(),
            source,
            columns,
            items,
            schema: Arc::new(Schema::new(fields)),
            index,
            parsed: Mutex::new(parsed),
        })
    }

    /// The expression of view column `i` over the source table, named as the view names it.
    fn expr(&self, state: &SessionState, i: usize) -> Result<Expr> {
        let item = &self.items[i];
        let column = Expr::Column(Column::new_unqualified(&self.columns[item.source].name));
        let expr = match &item.expr {
            ViewExpr::Plain => column,
            ViewExpr::NullWord => state
                .scalar_functions()
                .get("focus_null_word")
                .ok_or_else(|| DataFusionError::Plan("no function focus_null_word".into()))?
                .call(vec![column]),
            ViewExpr::Sql(sql) => {
                let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
                match parsed.get(&i) {
                    Some(e) => e.clone(),
                    None => {
                        let field = self.source.schema().field(item.source).clone();
                        let (e, _) = parse(state, sql, &field)?;
                        parsed.insert(i, e.clone());
                        e
                    }
                }
            }
        };
        Ok(expr.alias(&item.name))
    }
}

/// A one-column schema holding `field` (unqualified): what a view item's expression reads.
fn one_column(field: &Field) -> Result<DFSchema> {
    DFSchema::try_from(Schema::new(vec![field.clone()]))
}

/// `sql` (an expression over the column `input`) parsed, and the field it makes.
fn parse(state: &SessionState, sql: &str, input: &Field) -> Result<(Expr, FieldRef)> {
    let schema = one_column(input)?;
    let expr = state.create_logical_expr(sql, &schema)?;
    let (_, field) = expr.to_field(&schema)?;
    Ok((expr, field))
}

fn field_of(state: &SessionState, sql: &str, input: &Field) -> Result<FieldRef> {
    parse(state, sql, input).map(|(_, f)| f)
}

fn session_state(state: &dyn Session) -> Result<&SessionState> {
    state
        .as_any()
        .downcast_ref::<SessionState>()
        .ok_or_else(|| DataFusionError::Internal("typed view: not a SessionState".into()))
}

#[async_trait::async_trait]
impl TableProvider for TypedView {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    /// Every filter is applied here, under the view's projection, so that DataFusion pushes it
    /// on to the source scan as it would through an inlined view (Parquet pruning).
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if f.is_volatile() {
                    TableProviderFilterPushDown::Unsupported
                } else {
                    TableProviderFilterPushDown::Exact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = session_state(state)?;
        let wanted: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.items.len()).collect(),
        };
        // The filters read view columns by name, maybe qualified by the view's table name.
        let filters: Vec<Expr> = filters
            .iter()
            .map(|f| datafusion::logical_expr::expr_rewriter::unnormalize_col(f.clone()))
            .collect();
        let mut needed = wanted.clone();
        for f in &filters {
            for c in f.column_refs() {
                let i = *self.index.get(c.name.as_str()).ok_or_else(|| {
                    DataFusionError::Plan(format!("typed view: no column {}", c.name))
                })?;
                if !needed.contains(&i) {
                    needed.push(i);
                }
            }
        }
        let mut sources: Vec<usize> = needed.iter().map(|&i| self.items[i].source).collect();
        sources.sort_unstable();
        sources.dedup();
        let mut plan = LogicalPlanBuilder::scan(
            TableReference::bare(self.source_name.as_str()),
            provider_as_source(self.source.clone()),
            Some(sources),
        )?;
        if !needed.is_empty() {
            let exprs = needed
                .iter()
                .map(|&i| self.expr(state, i))
                .collect::<Result<Vec<_>>>()?;
            plan = plan.project(exprs)?;
        }
        if let Some(predicate) = conjunction(filters) {
            plan = plan.filter(predicate)?;
        }
        if needed.len() > wanted.len() {
            let names = wanted
                .iter()
                .map(|&i| Expr::Column(Column::new_unqualified(&self.items[i].name)));
            plan = plan.project(names)?;
        }
        if let Some(n) = limit {
            plan = plan.limit(0, Some(n))?;
        }
        state.create_physical_plan(&plan.build()?).await
    }
}
