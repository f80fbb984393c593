//! SQL's AND and OR for the fused scan, pre-selecting on the columns the right side reads.
//!
//! DataFusion evaluates `a OR b` on a batch where `a` is true for most rows by evaluating `b`
//! only on the other rows: it first copies those rows of *every* column of the batch. The fused
//! scan's batches carry every column the 161 distinct checks read (a hundred and more), so that
//! copy cost more than the checks themselves: about a tenth of the scan. [`NarrowLogic`] keeps
//! the same short cuts (a side that settles the whole batch, a few rows left to decide) but
//! copies only the columns `b` reads. Results are those of SQL's three-valued AND and OR.
//!
//! [`NarrowPreSelection`] puts it in place of AND and OR in the expressions of aggregates and
//! projections, after DataFusion's own physical optimizations.

use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::compute::kernels::boolean::{and_kleene, or_kleene};
use datafusion::arrow::compute::{filter_record_batch, not};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{exec_err, Result};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, Operator};
use datafusion::physical_expr::expressions::{BinaryExpr, Column};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::ExecutionPlan;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

/// Below this share of rows left to decide, the right side is evaluated on those rows only.
const PRE_SELECTION: f64 = 0.2;

#[derive(Debug, Eq)]
pub struct NarrowLogic {
    and: bool,
    left: Arc<dyn PhysicalExpr>,
    right: Arc<dyn PhysicalExpr>,
    /// The input columns `right` reads, in order, and `right` over just those.
    columns: Vec<usize>,
    narrow_right: Arc<dyn PhysicalExpr>,
}

// By hand, as DataFusion's own expressions do (derive cannot compare `Arc<dyn PhysicalExpr>`).
impl PartialEq for NarrowLogic {
    fn eq(&self, other: &Self) -> bool {
        self.and == other.and && self.left.eq(&other.left) && self.right.eq(&other.right)
    }
}

impl Hash for NarrowLogic {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.and.hash(state);
        self.left.hash(state);
        self.right.hash(state);
    }
}

impl NarrowLogic {
    pub fn new(
        and: bool,
        left: Arc<dyn PhysicalExpr>,
        right: Arc<dyn PhysicalExpr>,
    ) -> Result<NarrowLogic> {
        let mut columns: Vec<usize> = datafusion::physical_expr::utils::collect_columns(&right)
            .iter()
            .map(|c| c.index())
            .collect();
        columns.sort_unstable();
        columns.dedup();
        let narrow_right = Arc::clone(&right)
            .transform_up(|e| {
                Ok(match e.downcast_ref::<Column>() {
                    Some(c) => {
                        let at = columns.binary_search(&c.index()).unwrap_or(0);
                        Transformed::yes(Arc::new(Column::new(c.name(), at)) as _)
                    }
                    None => Transformed::no(e),
                })
            })?
            .data;
        Ok(NarrowLogic {
            and,
            left,
            right,
            columns,
            narrow_right,
        })
    }

    fn combine(&self, l: &BooleanArray, r: &BooleanArray) -> Result<BooleanArray> {
        Ok(if self.and {
            and_kleene(l, r)?
        } else {
            or_kleene(l, r)?
        })
    }
}

impl fmt::Display for NarrowLogic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.and { "AND" } else { "OR" };
        write!(f, "{} {op} {}", self.left, self.right)
    }
}

fn boolean(v: ColumnarValue, n: usize) -> Result<BooleanArray> {
    let a = v.into_array(n)?;
    match a.as_boolean_opt() {
        Some(b) => Ok(b.clone()),
        None => exec_err!("AND/OR of a non-boolean value"),
    }
}

impl PhysicalExpr for NarrowLogic {
    fn data_type(&self, _input_schema: &Schema) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn nullable(&self, input_schema: &Schema) -> Result<bool> {
        Ok(self.left.nullable(input_schema)? || self.right.nullable(input_schema)?)
    }

    fn return_field(
        &self,
        input_schema: &Schema,
    ) -> Result<datafusion::arrow::datatypes::FieldRef> {
        Ok(Arc::new(datafusion::arrow::datatypes::Field::new(
            "narrow_logic",
            DataType::Boolean,
            self.nullable(input_schema)?,
        )))
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let n = batch.num_rows();
        let lhs = self.left.evaluate(batch)?;
        if let ColumnarValue::Scalar(s) = &lhs {
            // A constant side settles it or leaves it to the right side.
            if let datafusion::common::ScalarValue::Boolean(Some(v)) = s {
                if *v != self.and {
                    return Ok(lhs);
                }
                return self.right.evaluate(batch);
            }
        }
        let l = boolean(lhs, n)?;
        if l.null_count() == 0 && n > 0 {
            let trues = l.true_count();
            // The rows the right side decides: where the left is true (AND) or false (OR).
            let open = if self.and { trues } else { n - trues };
            if open == 0 {
                return Ok(ColumnarValue::Array(Arc::new(l)));
            }
            if open == n {
                return self.right.evaluate(batch);
            }
            if (open as f64) / (n as f64) <= PRE_SELECTION {
                let mask = if self.and { l.clone() } else { not(&l)? };
                let narrow = batch.project(&self.columns)?;
                let chosen = filter_record_batch(&narrow, &mask)?;
                let r = boolean(self.narrow_right.evaluate(&chosen)?, chosen.num_rows())?;
                let spread = datafusion::physical_expr_common::utils::scatter(&mask, &r)?;
                let spread = spread.as_boolean();
                return Ok(ColumnarValue::Array(Arc::new(self.combine(&l, spread)?)));
            }
        }
        let r = boolean(self.right.evaluate(batch)?, n)?;
        Ok(ColumnarValue::Array(Arc::new(self.combine(&l, &r)?)))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.left, &self.right]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let [left, right]: [Arc<dyn PhysicalExpr>; 2] = children
            .try_into()
            .map_err(|_| datafusion::common::DataFusionError::Internal("two children".into()))?;
        Ok(Arc::new(NarrowLogic::new(self.and, left, right)?))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// AND and OR replaced by [`NarrowLogic`] in an expression.
fn narrow(expr: Arc<dyn PhysicalExpr>) -> Result<Transformed<Arc<dyn PhysicalExpr>>> {
    expr.transform_up(|e| {
        let Some(b) = e.downcast_ref::<BinaryExpr>() else {
            return Ok(Transformed::no(e));
        };
        let and = match b.op() {
            Operator::And => true,
            Operator::Or => false,
            _ => return Ok(Transformed::no(e)),
        };
        let n = NarrowLogic::new(and, Arc::clone(b.left()), Arc::clone(b.right()))?;
        Ok(Transformed::yes(Arc::new(n) as Arc<dyn PhysicalExpr>))
    })
}

/// Puts [`NarrowLogic`] in the expressions of aggregates (their arguments) and projections.
#[derive(Debug, Default)]
pub struct NarrowPreSelection;

impl PhysicalOptimizerRule for NarrowPreSelection {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(plan
            .transform_up(|node| {
                if let Some(agg) = node.downcast_ref::<AggregateExec>() {
                    let mut changed = false;
                    let mut exprs = Vec::new();
                    for a in agg.aggr_expr() {
                        let mut this = false;
                        let mut args = Vec::new();
                        for e in a.expressions() {
                            let t = narrow(e)?;
                            this |= t.transformed;
                            args.push(t.data);
                        }
                        let order: Vec<_> = a.order_bys().iter().map(|s| s.expr.clone()).collect();
                        match a.with_new_expressions(args, order).filter(|_| this) {
                            Some(new) => {
                                changed = true;
                                exprs.push(Arc::new(new));
                            }
                            None => exprs.push(Arc::clone(a)),
                        }
                    }
                    if changed {
                        let new: Arc<dyn ExecutionPlan> = Arc::new(agg.with_new_aggr_exprs(exprs));
                        return Ok(Transformed::yes(new));
                    }
                }
                if let Some(p) = node.downcast_ref::<ProjectionExec>() {
                    let mut changed = false;
                    let mut exprs = Vec::new();
                    for pe in p.expr() {
                        let t = narrow(Arc::clone(&pe.expr))?;
                        changed |= t.transformed;
                        exprs.push(ProjectionExpr {
                            expr: t.data,
                            alias: pe.alias.clone(),
                        });
                    }
                    // A projection without AND or OR (most of them) is left as it was.
                    if changed {
                        let new: Arc<dyn ExecutionPlan> =
                            Arc::new(ProjectionExec::try_new(exprs, Arc::clone(p.input()))?);
                        return Ok(Transformed::yes(new));
                    }
                }
                Ok(Transformed::no(node))
            })?
            .data)
    }

    fn name(&self) -> &str {
        "focus_narrow_pre_selection"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
