-- title: Invoice reconciliation
-- description: FOCUS 1.4 bundle: per invoice, the billed cost of its Invoice Detail records against the Cost and Usage charges carrying its InvoiceId, and the difference (give the bundle folder, or --table InvoiceDetail=PATH).
-- focus: 1.4
-- tables: InvoiceDetail
WITH invoiced AS (
  SELECT InvoiceIssuerName, InvoiceId, BillingCurrency,
         MIN(InvoiceIssueStatus) AS status,
         COUNT(*) AS invoice_details,
         SUM(BilledCost) AS invoiced_cost
  FROM InvoiceDetail
  GROUP BY InvoiceIssuerName, InvoiceId, BillingCurrency
),
charged AS (
  SELECT InvoiceIssuerName, InvoiceId, BillingCurrency,
         COUNT(*) AS charges,
         SUM(BilledCost) AS charged_cost
  FROM CostAndUsage
  WHERE InvoiceId IS NOT NULL
  GROUP BY InvoiceIssuerName, InvoiceId, BillingCurrency
)
SELECT COALESCE(i.InvoiceIssuerName, c.InvoiceIssuerName) AS InvoiceIssuerName,
       COALESCE(i.InvoiceId, c.InvoiceId) AS InvoiceId,
       COALESCE(i.BillingCurrency, c.BillingCurrency) AS BillingCurrency,
       i.status AS InvoiceIssueStatus,
       COALESCE(i.invoice_details, 0) AS invoice_details,
       COALESCE(c.charges, 0) AS charges,
       i.invoiced_cost,
       c.charged_cost,
       COALESCE(i.invoiced_cost, 0) - COALESCE(c.charged_cost, 0) AS difference
FROM invoiced i
FULL JOIN charged c
  ON c.InvoiceIssuerName = i.InvoiceIssuerName AND c.InvoiceId = i.InvoiceId
 AND c.BillingCurrency = i.BillingCurrency
ORDER BY InvoiceIssuerName, InvoiceId, BillingCurrency
