"""The in-app library: record an application's own calls to SaaS vendors
(`saas_inapp.instrument`) and verify the webhooks it receives (`saas_inapp.webhooks`)
as the rule pack's in-app series (docs/instrumentation.md)."""
