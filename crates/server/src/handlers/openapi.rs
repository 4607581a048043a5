//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, written by hand next to the
//! router; a test checks that every route of the router is in it.

use axum::Json;
use serde_json::{Map, Value, json};

fn problem_responses(codes: &[&str]) -> Map<String, Value> {
    codes
        .iter()
        .map(|code| {
            (
                code.to_string(),
                json!({ "description": "Problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }),
            )
        })
        .collect()
}

fn op(
    summary: &str,
    role: Option<&str>,
    params: Value,
    body: Option<Value>,
    ok: (&str, Value),
    errors: &[&str],
) -> Value {
    let mut responses = problem_responses(errors);
    responses.insert(
        ok.0.to_string(),
        json!({ "description": "Success", "content": { "application/json": { "schema": ok.1 } } }),
    );
    let mut operation = json!({
        "summary": summary,
        "parameters": params,
        "responses": responses,
    });
    match role {
        Some(role) => {
            operation["description"] = json!(format!("Requires the {role} role or higher."));
            operation["security"] = json!([{ "ApiKey": [] }, { "Bearer": [] }]);
        }
        None => operation["security"] = json!([]),
    }
    if let Some(body) = body {
        operation["requestBody"] = body;
    }
    operation
}

fn json_body(schema: Value) -> Option<Value> {
    Some(json!({ "required": true, "content": { "application/json": { "schema": schema } } }))
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn page(item: &str) -> Value {
    json!({ "type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": { "type": "array", "items": r(item) },
        "next_cursor": { "type": ["string", "null"], "description": "Pass as `cursor` for the next page" } } })
}

fn path_id(what: &str) -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": format!("{what} id") })
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

fn paging() -> [Value; 2] {
    [
        query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }),
            "Page size",
        ),
        query(
            "cursor",
            json!({ "type": "string" }),
            "`next_cursor` of the previous page",
        ),
    ]
}

/// The document as a value (also used by tests).
pub fn openapi() -> Value {
    let mut document = core_document();
    alert_operations(&mut document);
    monitor_operations(&mut document);
    incident_operations(&mut document);
    assistant_operations(&mut document);
    role_operations(&mut document);
    document
}

/// Roles: the permissions, the built-in roles and the tenant's own.
fn role_operations(document: &mut Value) {
    let paths = &mut document["paths"];
    paths["/api/v1/roles"] = json!({
        "get": op("Every permission, the built-in roles and the tenant's roles with their permissions", Some("viewer"), json!([]), None,
            ("200", json!({ "type": "object", "properties": { "permissions": { "type": "array" }, "roles": { "type": "array" } } })), &["401", "429"]),
        "post": op("Create a role of the tenant: a named set of permissions the caller holds (user.manage; recorded in the audit trail)", Some("admin"), json!([]),
            json_body(json!({ "type": "object", "required": ["name", "permissions"], "additionalProperties": false, "properties": {
                "name": { "type": "string", "pattern": "^[a-z0-9_-]{1,40}$" },
                "permissions": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                "description": { "type": "string", "maxLength": 500 } } })),
            ("201", json!({ "type": "object" })), &["400", "401", "403", "409", "415", "422", "429"]) });
    paths["/api/v1/roles/{name}"] = json!({
        "delete": op("Delete a role no user or live API key holds (user.manage; recorded in the audit trail)", Some("admin"),
            json!([{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }]), None,
            ("204", json!({})), &["401", "403", "404", "409", "429"]) });
    paths["/api/v1/users/{id}/sessions"] = json!({
        "delete": op("Sign a user out everywhere: revoke all their dashboard sessions (user.manage; recorded in the audit trail)", Some("admin"),
            json!([path_id("user")]), None,
            ("200", json!({ "type": "object", "properties": { "revoked": { "type": "integer" } } })), &["401", "403", "404", "429"]) });
}

/// The optional assistant: the tenant's settings and suggestions on findings.
fn assistant_operations(document: &mut Value) {
    let severities = json!(["critical", "high", "medium", "low", "informational", null]);
    let paths = &mut document["paths"];
    paths["/api/v1/tenants/{id}/assistant"] = json!({
        "get": op("The tenant's assistant settings, the profiles its plan offers and today's token use", Some("viewer"), json!([path_id("tenant")]), None,
            ("200", r("AssistantSettings")), &["401", "404", "429"]),
        "put": op("Opt the tenant in to an assistant profile of its plan (or out, with null); optionally send findings at or above a severity on their own when an audit succeeds (recorded in the audit trail)", Some("admin"), json!([path_id("tenant")]),
            json_body(json!({ "type": "object", "required": ["profile"], "additionalProperties": false, "properties": {
                "profile": { "type": ["string", "null"] },
                "auto_severity": { "type": ["string", "null"], "enum": severities } } })),
            ("200", r("AssistantSettings")), &["400", "401", "403", "404", "415", "422", "429"]) });
    paths["/api/v1/findings/{id}/suggestions"] = json!({
        "get": op("The assistant's suggestions on a finding, newest first", Some("viewer"), json!([path_id("finding")]), None,
            ("200", json!({ "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": r("Suggestion") } } })),
            &["401", "404", "429"]),
        "post": op("Ask the assistant about a finding: queued and answered off the audit path (one already waiting is answered instead; recorded in the audit trail). 409 `assistant-unavailable` when the tenant has not opted in or its profile is not offered", Some("auditor"), json!([path_id("finding")]), None,
            ("202", r("Suggestion")), &["401", "403", "404", "409", "429"]) });
    let schemas = &mut document["components"]["schemas"];
    schemas["AssistantSettings"] = json!({ "type": "object", "properties": {
        "tenant_id": { "type": "string" }, "profile": { "type": ["string", "null"] }, "auto_severity": { "type": ["string", "null"] },
        "profiles": { "type": "array", "items": { "type": "object" }, "description": "name, kind, model, enabled, daily_token_budget" },
        "tokens_used_today": { "type": "integer" },
        "unavailable": { "type": ["string", "null"], "description": "Why the chosen profile cannot be used now" } } });
    let answer = json!({ "type": ["object", "null"], "description": "The validated answer; never a triage decision", "properties": {
        "explanation": { "type": "string" }, "attack_scenario": { "type": "string" }, "patch_diff": { "type": ["string", "null"] },
        "verdict": { "type": "string", "enum": ["likely_true", "likely_false_positive", "uncertain"] },
        "reasoning": { "type": "string" }, "confidence": { "type": "number" }, "notes": { "type": "array", "items": { "type": "string" } },
        "provider": { "type": "string" }, "model": { "type": "string" }, "cached": { "type": "boolean" }, "usage": { "type": "object" } } });
    schemas["Suggestion"] = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "finding_id": { "type": "string" }, "audit_id": { "type": "string" }, "profile": { "type": "string" },
        "status": { "type": "string", "enum": ["queued", "running", "done", "failed"] }, "requested_by": { "type": "string" },
        "attempts": { "type": "integer" }, "created_at": { "type": "string", "format": "date-time" },
        "finished_at": { "type": ["string", "null"], "format": "date-time" }, "error": { "type": ["string", "null"] },
        "suggestion": answer, "disclaimer": { "type": "string" } } });
}

/// Monitors: CRUD and the events their rules fired.
fn monitor_operations(document: &mut Value) {
    let levels = json!(["critical", "high", "medium", "low"]);
    let config = json!({ "type": "string", "maxLength": 262_144,
        "description": "A monitor file (TOML) with exactly one `[[monitors]]` entry and optional `[lists]`. ABI files cannot be named (use `abi_json` or `signatures`); a `tenant` key must be the caller's tenant id. A config the loader refuses is the problem `invalid-monitor-config` whose detail gives the line and column or the place of the mistake." });
    let name = json!({ "type": "string", "minLength": 1, "maxLength": 100, "description": "Unique in the tenant; the same as the monitor's `name` in `config`" });
    let paths = &mut document["paths"];
    paths["/api/v1/monitors"] = json!({
        "get": op("Monitors of the tenant", Some("viewer"), json!([]), None, ("200", page("Monitor")), &["401", "429"]),
        "post": op("Create a monitor (recorded in the audit trail)", Some("admin"), json!([]),
            json_body(json!({ "type": "object", "required": ["name", "config"], "additionalProperties": false, "properties": {
                "name": name, "config": config, "enabled": { "type": "boolean", "default": true } } })),
            ("201", r("Monitor")), &["400", "401", "403", "409", "415", "422", "429"]) });
    paths["/api/v1/monitors/{id}"] = json!({
        "get": op("One monitor", Some("viewer"), json!([path_id("monitor")]), None, ("200", r("Monitor")), &["401", "404", "429"]),
        "patch": op("Rename, replace the config, enable or disable a monitor (recorded in the audit trail)", Some("admin"), json!([path_id("monitor")]),
            json_body(json!({ "type": "object", "minProperties": 1, "additionalProperties": false, "properties": {
                "name": name, "config": config, "enabled": { "type": "boolean" } } })),
            ("200", r("Monitor")), &["400", "401", "403", "404", "409", "415", "422", "429"]),
        "delete": op("Delete a monitor (recorded in the audit trail)", Some("admin"), json!([path_id("monitor")]), None, ("204", json!({})), &["401", "403", "404", "429"]) });
    paths["/api/v1/monitors/{id}/events"] = json!({ "get": op("The events the monitor's rules fired, newest first", Some("viewer"), json!([path_id("monitor"),
            query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }), "At most this many")]),
        None, ("200", json!({ "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": r("MonitorEvent") } } })),
        &["400", "401", "404", "429"]) });
    let schemas = &mut document["components"]["schemas"];
    schemas["Monitor"] = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "name": { "type": "string" }, "enabled": { "type": "boolean" },
        "config": { "type": ["string", "null"], "description": "As stored for admins; for other roles with every RPC endpoint redacted (keys in paths and queries, user information), or null when that cannot be done" },
        "config_redacted": { "type": "boolean" },
        "chain_id": { "type": ["integer", "null"] }, "rules": { "type": ["array", "null"], "items": { "type": "string" }, "description": "Rule names of the config" },
        "created_by": { "type": "string" }, "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" } } });
    schemas["MonitorEvent"] = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "monitor_id": { "type": "string" }, "rule": { "type": "string" }, "level": { "type": "string", "enum": levels },
        "chain_id": { "type": "integer" }, "block_number": { "type": "integer" }, "block_hash": { "type": "string" },
        "tx_hash": { "type": ["string", "null"] }, "tx_index": { "type": ["integer", "null"] }, "log_index": { "type": ["integer", "null"] },
        "alert_id": { "type": ["string", "null"] }, "incident_id": { "type": ["string", "null"] },
        "detail": { "type": "object", "description": "`summary` and what the rule decoded" }, "created_at": { "type": "string", "format": "date-time" } } });
}

/// Incidents: list, one with its timeline, state and assignee, comments.
fn incident_operations(document: &mut Value) {
    let states = json!(store::INCIDENT_STATES);
    let priorities = json!(store::INCIDENT_PRIORITIES);
    let paths = &mut document["paths"];
    paths["/api/v1/incidents"] = json!({ "get": op("Incidents of the tenant, latest first", Some("viewer"), json!([
            query("state", json!({ "type": "string", "enum": states }), "Only incidents in this state"),
            query("priority", json!({ "type": "string", "enum": priorities }), "Only incidents of this priority"),
            query("open", json!({ "type": "boolean", "default": false }), "Only incidents not resolved"),
            query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }), "At most this many")]),
        None, ("200", json!({ "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": r("Incident") } } })),
        &["400", "401", "429"]) });
    paths["/api/v1/incidents/{id}"] = json!({
        "get": op("One incident with its timeline (alerts, comments, state changes, assignments), oldest first", Some("viewer"), json!([path_id("incident")]), None,
            ("200", json!({ "allOf": [r("Incident"), { "type": "object", "properties": { "timeline": { "type": "array", "items": r("IncidentEvent") } } }] })),
            &["401", "404", "429"]),
        "patch": op("Move the state forward (open → acknowledged → mitigated → resolved, skipping allowed; backwards is the problem `invalid-transition`, 409) and/or assign (recorded in the audit trail)", Some("auditor"), json!([path_id("incident")]),
            json_body(json!({ "type": "object", "minProperties": 1, "additionalProperties": false, "properties": {
                "state": { "type": "string", "enum": states },
                "assignee": { "type": ["string", "null"], "description": "The id of an enabled user of the tenant (else 422 `unknown-assignee`); null unassigns" } } })),
            ("200", r("Incident")), &["400", "401", "403", "404", "409", "415", "422", "429"]) });
    paths["/api/v1/incidents/{id}/comments"] = json!({ "post": op("Comment on an incident (recorded in the audit trail)", Some("auditor"), json!([path_id("incident")]),
        json_body(json!({ "type": "object", "required": ["text"], "additionalProperties": false, "properties": {
            "text": { "type": "string", "minLength": 1, "maxLength": 4000 } } })),
        ("201", r("IncidentEvent")), &["400", "401", "403", "404", "415", "422", "429"]) });
    let schemas = &mut document["components"]["schemas"];
    schemas["Incident"] = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "title": { "type": "string" },
        "priority": { "type": "string", "enum": priorities, "description": "Raised when a more urgent alert joins" },
        "state": { "type": "string", "enum": states },
        "assignee": { "type": ["string", "null"], "description": "User id" }, "assignee_email": { "type": ["string", "null"] },
        "monitor_id": { "type": ["string", "null"], "description": "The monitor whose alerts open or join it (`file:NAME` for a monitor of a monitor file)" },
        "alert_count": { "type": "integer" },
        "opened_at": { "type": "string", "format": "date-time" },
        "acknowledged_at": { "type": ["string", "null"], "format": "date-time" },
        "mitigated_at": { "type": ["string", "null"], "format": "date-time" },
        "resolved_at": { "type": ["string", "null"], "format": "date-time" },
        "updated_at": { "type": "string", "format": "date-time" } } });
    schemas["IncidentEvent"] = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "kind": { "type": "string", "enum": ["alert", "comment", "state", "assign"] },
        "actor": { "type": ["string", "null"] },
        "body": { "type": "object", "description": "`alert`: alert_id, rule, level, summary; `comment`: text; `state`: from, to; `assign`: assignee" },
        "created_at": { "type": "string", "format": "date-time" } } });
}

/// Alerts: history, one alert with its notifications, acknowledgement.
fn alert_operations(document: &mut Value) {
    let levels = json!(["critical", "high", "medium", "low"]);
    let visibility =
        "Operator admins see every alert; other admins see the alerts of their tenant.";
    let paths = &mut document["paths"];
    paths["/api/v1/alerts"] = json!({ "get": op(&format!("Alerts, latest first. {visibility}"), Some("admin"), json!([
            query("state", json!({ "type": "string", "enum": ["firing", "acknowledged", "resolved"] }), "Only alerts in this state"),
            query("severity", json!({ "type": "string", "enum": levels }), "Only alerts of this level"),
            query("since", json!({ "type": "integer" }), "Unix milliseconds: alerts last seen at or after"),
            query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }), "At most this many")]),
        None, ("200", json!({ "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": r("Alert") } } })),
        &["400", "401", "403", "429"]) });
    paths["/api/v1/alerts/{id}"] = json!({ "get": op(&format!("One alert with its notifications. {visibility}"), Some("admin"),
        json!([path_id("alert")]), None,
        ("200", json!({ "allOf": [r("Alert"), { "type": "object", "properties": { "notifications": { "type": "array", "items": r("AlertNotification") } } }] })),
        &["401", "403", "404", "429"]) });
    paths["/api/v1/alerts/{id}/ack"] = json!({ "post": op("Acknowledge a firing alert (stops its escalation; recorded in the audit trail)", Some("admin"),
        json!([path_id("alert")]), None, ("200", r("Alert")), &["401", "403", "404", "409", "429"]) });
    let schemas = &mut document["components"]["schemas"];
    schemas["Alert"] = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "rule": { "type": "string" }, "severity": { "type": "string", "enum": levels },
        "state": { "type": "string", "enum": ["firing", "acknowledged", "resolved"] },
        "tenant_id": { "type": ["string", "null"], "description": "null for a service-wide alert" },
        "dedup_key": { "type": "string" },
        "first_seen": { "type": "string", "format": "date-time" }, "last_seen": { "type": "string", "format": "date-time" },
        "occurrences": { "type": "integer", "description": "Occurrences folded into this alert during its cooldown, the first included" },
        "escalated_at": { "type": ["string", "null"], "format": "date-time" },
        "acknowledged_by": { "type": ["string", "null"] }, "acknowledged_at": { "type": ["string", "null"], "format": "date-time" },
        "resolved_at": { "type": ["string", "null"], "format": "date-time" }, "detail": { "type": "object" } } });
    schemas["AlertNotification"] = json!({ "type": "object", "properties": {
        "channel": { "type": "string" }, "purpose": { "type": "string", "enum": ["initial", "escalation"] },
        "status": { "type": "string", "enum": ["sent", "failed"] }, "error": { "type": ["string", "null"] },
        "created_at": { "type": "string", "format": "date-time" } } });
}

fn core_document() -> Value {
    let severities = json!(["critical", "high", "medium", "low", "informational"]);
    let statuses = json!([
        "queued",
        "running",
        "succeeded",
        "failed",
        "timed_out",
        "cancelled"
    ]);
    let triage = json!([
        "open",
        "confirmed",
        "false_positive",
        "acknowledged",
        "fixed"
    ]);
    let webhook_events = json!(store::WEBHOOK_EVENTS);
    let delivery_statuses = json!(["pending", "succeeded", "failed", "refused"]);
    let [limit, cursor] = paging();
    let std_errors = ["401", "403", "429"];
    let submit_body = json!({ "required": true, "content": {
        "application/json": { "schema": r("SubmitAudit") },
        "application/zip": { "schema": { "type": "string", "format": "binary" } },
        "application/gzip": { "schema": { "type": "string", "format": "binary" }, "description": "tar.gz" } } });
    // A standing false-positive decision on the same finding or the same code in another
    // audit of the project (built apart: the document is deeper than `json!` recurses).
    let recalled = json!({ "type": "object",
        "description": "A standing false-positive decision on the same finding or the same code in another audit of the project",
        "properties": { "finding_id": { "type": "string" }, "audit_id": { "type": "string" }, "by": { "type": "string" },
            "at": { "type": "string", "format": "date-time" }, "reason": { "type": ["string", "null"] },
            "matched": { "type": "string", "enum": ["fingerprint", "shape"] } } });
    let code_body = json!({ "type": "object", "required": ["code"], "additionalProperties": false, "properties": { "code": { "type": "string" } } });
    let submit_params = json!([
        { "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 200 },
          "description": "A retried submission with the same key answers the first audit" },
        query("include_detectors", json!({ "type": "string" }), "Archives only: comma-separated detector ids"),
        query("exclude_detectors", json!({ "type": "string" }), "Archives only: comma-separated detector ids"),
        query("min_severity", json!({ "type": "string", "enum": severities }), "Archives only"),
        query("timeout_secs", json!({ "type": "integer", "minimum": 1 }), "Archives only"),
        query("project", json!({ "type": "string", "maxLength": 100 }), "Archives only: the project the audit belongs to"),
        query("tools", json!({ "type": "string" }), "Archives only: comma-separated other analyzers (slither, aderyn, mythril) the tenant's plan allows"),
    ]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "web3audit audit service",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Submit Solidity sources or a deployed contract for audit, follow the job, read and triage findings. Errors are RFC 7807 problem documents whose `type` is `urn:web3audit:problem:<slug>`."
        },
        "servers": [{ "url": "/" }],
        "paths": {
            "/api/v1/auth/login": { "post": op("Exchange email and password for a JWT", None, json!([]),
                json_body(json!({ "type": "object", "required": ["email", "password"], "additionalProperties": false,
                    "properties": { "email": { "type": "string" }, "password": { "type": "string" },
                        "code": { "type": "string", "description": "The second factor (a TOTP code or a recovery code), for users who enrolled one" } } })),
                ("200", json!({ "type": "object", "properties": { "token": { "type": "string" }, "token_type": { "const": "Bearer" }, "expires_in": { "type": "integer" } } })),
                &["400", "401", "415", "429"]) },
            "/api/v1/me": { "get": op("The calling credential", Some("viewer"), json!([]), None, ("200", json!({ "type": "object" })), &std_errors) },
            "/api/v1/me/second-factor": {
                "post": op("Start enrolling a TOTP second factor: the secret and its otpauth URI", Some("viewer"), json!([]), None, ("201", json!({ "type": "object" })), &["401", "403", "409", "429"]),
                "delete": op("Remove the second factor (a valid code required)", Some("viewer"), json!([]), json_body(code_body.clone()), ("204", json!({})), &["401", "403", "404", "422", "429"]) },
            "/api/v1/me/second-factor/confirm": { "post": op("Confirm the enrolment with a first code; answers the recovery codes, once", Some("viewer"), json!([]), json_body(code_body.clone()), ("200", json!({ "type": "object" })), &["401", "403", "409", "422", "429"]) },
            "/api/v1/users/{id}/second-factor": { "delete": op("Remove a user's second factor (an admin of the user's tenant; recorded in the audit trail)", Some("admin"), json!([path_id("user")]), None, ("204", json!({})), &["401", "403", "404", "429"]) },
            "/api/v1/tenants/{id}/second-factor-policy": { "put": op("Require (or stop requiring) a second factor of the tenant's users", Some("admin"), json!([path_id("tenant")]),
                json_body(json!({ "type": "object", "required": ["required"], "additionalProperties": false, "properties": { "required": { "type": "boolean" } } })),
                ("200", json!({ "type": "object" })), &["401", "403", "404", "429"]) },
            "/api/v1/audits": {
                "post": op("Submit an audit (JSON sources, a deployed contract, zip or tar.gz)", Some("auditor"), submit_params, Some(submit_body),
                    ("202", r("AuditCreated")), &["400", "401", "403", "413", "415", "422", "429"]),
                "get": op("List audits, newest first", Some("viewer"), json!([
                    query("status", json!({ "type": "string", "enum": statuses }), "Only audits in this state"),
                    query("created_by", json!({ "type": "string" }), "Actor, e.g. `api_key:ID` or `user:ID`"),
                    query("created_after", json!({ "type": "integer" }), "Unix milliseconds, inclusive"),
                    query("created_before", json!({ "type": "integer" }), "Unix milliseconds, exclusive"),
                    limit.clone(), cursor.clone()]), None, ("200", page("Audit")), &["400", "401", "429"]) },
            "/api/v1/audits/{id}": { "get": op("One audit: status, timings, counts by severity", Some("viewer"), json!([path_id("audit")]), None, ("200", r("Audit")), &["401", "404", "429"]) },
            "/api/v1/audits/{id}/cancel": { "post": op("Cancel a queued or running audit", Some("auditor"), json!([path_id("audit")]), None, ("200", r("Audit")), &["401", "403", "404", "409", "429"]) },
            "/api/v1/audits/{id}/findings": { "get": op("Findings of an audit", Some("viewer"), json!([path_id("audit"),
                    query("severity", json!({ "type": "string", "enum": severities }), "Only this severity"),
                    query("detector", json!({ "type": "string" }), "Only this detector id"),
                    query("triage_state", json!({ "type": "string", "enum": triage }), "Only this triage state"),
                    limit.clone(), cursor.clone()]), None, ("200", page("Finding")), &["400", "401", "404", "429"]) },
            "/api/v1/audits/{id}/report": { "get": op("Report of a succeeded audit", Some("viewer"), json!([path_id("audit"),
                    query("format", json!({ "type": "string", "enum": ["json", "sarif", "markdown", "html", "pdf"], "default": "json" }), "Report format")]),
                    None, ("200", json!({ "description": "JSON, SARIF 2.1.0 (application/sarif+json), Markdown (text/markdown), self-contained HTML with triage (text/html) or PDF (application/pdf)" })), &["400", "401", "404", "409", "429"]) },
            "/api/v1/findings/{id}": { "get": op("One finding with its triage history", Some("viewer"), json!([path_id("finding")]), None, ("200", r("Finding")), &["401", "404", "429"]) },
            "/api/v1/findings/{id}/triage": { "post": op("Set the triage state of a finding (kept across re-scans by fingerprint)", Some("auditor"), json!([path_id("finding")]),
                json_body(json!({ "type": "object", "required": ["state"], "additionalProperties": false,
                    "properties": { "state": { "type": "string", "enum": triage }, "comment": { "type": "string", "maxLength": 10000 } } })),
                ("200", r("Finding")), &["400", "401", "403", "404", "422", "429"]) },
            "/api/v1/tenants": {
                "get": op("Tenants (operator admins see all)", Some("admin"), json!([]), None, ("200", page("Tenant")), &std_errors),
                "post": op("Create a tenant (operator admins)", Some("admin"), json!([]),
                    json_body(json!({ "type": "object", "required": ["name"], "additionalProperties": false,
                        "properties": { "name": { "type": "string" }, "plan": { "type": "string" } } })),
                    ("201", r("Tenant")), &["400", "401", "403", "409", "422", "429"]) },
            "/api/v1/tenants/{id}": {
                "get": op("One tenant", Some("admin"), json!([path_id("tenant")]), None, ("200", r("Tenant")), &["401", "403", "404", "429"]),
                "patch": op("Change a tenant's plan (operator admins)", Some("admin"), json!([path_id("tenant")]),
                    json_body(json!({ "type": "object", "required": ["plan"], "additionalProperties": false, "properties": { "plan": { "type": "string" } } })),
                    ("200", r("Tenant")), &["400", "401", "403", "404", "422", "429"]) },
            "/api/v1/users": {
                "get": op("Users of the tenant", Some("admin"), json!([]), None, ("200", page("User")), &std_errors),
                "post": op("Create a user", Some("admin"), json!([]),
                    json_body(json!({ "type": "object", "required": ["email", "password", "role"], "additionalProperties": false,
                        "properties": { "email": { "type": "string" }, "password": { "type": "string", "minLength": 12 },
                            "role": { "type": "string", "enum": ["admin", "auditor", "viewer"] },
                            "tenant_id": { "type": "string", "description": "Operator admins only" },
                            "expires_in_days": { "type": "integer", "minimum": 1, "maximum": 3650, "description": "Default: never expires" } } })),
                    ("201", r("User")), &["400", "401", "403", "404", "409", "422", "429"]) },
            "/api/v1/users/{id}": { "patch": op("Change role, disable, or set the password of a user", Some("admin"), json!([path_id("user")]),
                json_body(json!({ "type": "object", "additionalProperties": false, "properties": {
                    "role": { "type": "string", "description": "admin, auditor, viewer or one of the tenant's roles" }, "disabled": { "type": "boolean" }, "password": { "type": "string", "minLength": 12 } } })),
                ("200", r("User")), &["400", "401", "403", "404", "422", "429"]) },
            "/api/v1/api-keys": {
                "get": op("API keys of the tenant (never the secret)", Some("admin"), json!([]), None, ("200", page("ApiKey")), &std_errors),
                "post": op("Create an API key; the response shows the key once", Some("admin"), json!([]),
                    json_body(json!({ "type": "object", "required": ["name", "role"], "additionalProperties": false,
                        "properties": { "name": { "type": "string" }, "role": { "type": "string", "description": "admin, auditor, viewer or one of the tenant's roles" },
                            "expires_in_days": { "type": "integer", "minimum": 1, "maximum": 3650 },
                            "scopes": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "Permissions the key is limited to (among its role's and the creator's)" },
                            "tenant_id": { "type": "string", "description": "Operator admins only" } } })),
                    ("201", json!({ "allOf": [r("ApiKey"), { "type": "object", "properties": { "api_key": { "type": "string" } } }] })),
                    &["400", "401", "403", "404", "422", "429"]) },
            "/api/v1/api-keys/{id}": { "delete": op("Revoke an API key", Some("admin"), json!([path_id("API key")]), None, ("200", r("ApiKey")), &["401", "403", "404", "429"]) },
            "/api/v1/api-keys/{id}/rotate": { "post": op("A new key replacing this one, which keeps working for the overlap window; the response shows the new key once", Some("admin"), json!([path_id("API key")]),
                json_body(json!({ "type": "object", "additionalProperties": false, "properties": { "overlap_secs": { "type": "integer", "minimum": 0, "maximum": 604800, "description": "Default 3600" } } })),
                ("201", json!({ "type": "object" })), &["401", "403", "404", "409", "422", "429"]) },
            "/api/v1/audit-log": { "get": op("Audit trail entries, newest first", Some("admin"), json!([
                    query("action", json!({ "type": "string" }), "e.g. `login`, `audit.submitted`, `permission.denied`"),
                    query("actor", json!({ "type": "string" }), "e.g. `user:ID`"),
                    query("since", json!({ "type": "integer" }), "Unix milliseconds"),
                    query("tenant_id", json!({ "type": "string" }), "Operator admins only"),
                    limit.clone(), cursor.clone()]), None, ("200", page("AuditEvent")), &["400", "401", "403", "429"]) },
            // Webhooks.
            "/api/v1/webhooks": {
                "get": op("Webhooks of the tenant (never the secret)", Some("admin"), json!([]), None, ("200", page("Webhook")), &std_errors),
                "post": op("Create a webhook; the response shows its signing secret once. The URL must pass the egress allow-list (422 with the reason)", Some("admin"), json!([]),
                    json_body(json!({ "type": "object", "required": ["url", "events"], "additionalProperties": false, "properties": {
                        "url": { "type": "string", "format": "uri", "maxLength": 2000 },
                        "events": { "type": "array", "minItems": 1, "items": { "type": "string", "enum": webhook_events } },
                        "description": { "type": "string", "maxLength": 500 } } })),
                    ("201", json!({ "allOf": [r("Webhook"), { "type": "object", "properties": { "secret": { "type": "string", "description": "HMAC-SHA256 key of the signatures; shown only here" } } }] })),
                    &["400", "401", "403", "409", "415", "422", "429"]) },
            "/api/v1/webhooks/{id}": {
                "get": op("One webhook", Some("admin"), json!([path_id("webhook")]), None, ("200", r("Webhook")), &["401", "403", "404", "429"]),
                "patch": op("Change the URL, events or description, disable, or re-enable (which clears the failure count)", Some("admin"), json!([path_id("webhook")]),
                    json_body(json!({ "type": "object", "additionalProperties": false, "properties": {
                        "url": { "type": "string", "format": "uri", "maxLength": 2000 },
                        "events": { "type": "array", "minItems": 1, "items": { "type": "string", "enum": webhook_events } },
                        "description": { "type": "string", "maxLength": 500 }, "enabled": { "type": "boolean" } } })),
                    ("200", r("Webhook")), &["400", "401", "403", "404", "415", "422", "429"]),
                "delete": op("Delete a webhook and its delivery log", Some("admin"), json!([path_id("webhook")]), None, ("204", json!({})), &["401", "403", "404", "429"]) },
            "/api/v1/webhooks/{id}/test": { "post": op("Send a `ping` delivery now and answer with its first attempt (a retryable failure stays queued)", Some("admin"), json!([path_id("webhook")]), None, ("200", r("WebhookDelivery")), &["401", "403", "404", "429"]) },
            "/api/v1/webhooks/{id}/deliveries": { "get": op("The delivery log of a webhook, newest first", Some("admin"), json!([path_id("webhook"),
                    query("status", json!({ "type": "string", "enum": delivery_statuses }), "Only deliveries in this state"),
                    limit.clone(), cursor.clone()]), None, ("200", page("WebhookDelivery")), &["400", "401", "403", "404", "429"]) },
            "/api/v1/openapi.json": { "get": op("This document", None, json!([]), None, ("200", json!({ "type": "object" })), &[]) },
            "/health": { "get": op("Liveness", None, json!([]), None, ("200", json!({ "type": "object" })), &[]) },
            "/health/live": { "get": op("Liveness", None, json!([]), None, ("200", json!({ "type": "object" })), &[]) },
            "/health/ready": { "get": op("Readiness: database reachable and workers alive (503 otherwise)", None, json!([]), None, ("200", json!({ "type": "object" })), &["503"]) },
            "/health/detailed": { "get": op("Components with status and latency, queue depth", None, json!([]), None, ("200", r("Health")), &["503"]) },
            "/metrics": { "get": op("Prometheus metrics (OpenMetrics text)", None, json!([]), None, ("200", json!({ "type": "string" })), &[]) },
        },
        "components": {
            "securitySchemes": {
                "ApiKey": { "type": "apiKey", "in": "header", "name": "X-API-Key" },
                "Bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
            },
            "schemas": {
                "Problem": { "type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                    "type": { "type": "string", "example": "urn:web3audit:problem:malformed-json" },
                    "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" } } },
                "SubmitAudit": { "type": "object", "additionalProperties": false,
                    "description": "Either `sources`, or `address` and `chain` (and optionally `block`) of a deployed contract; not both. The chains are the `[chains.NAME]` tables of the service's scan configuration.",
                    "oneOf": [{ "required": ["sources"] }, { "required": ["address", "chain"] }],
                    "properties": {
                    "sources": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Relative path → source text" },
                    "address": { "type": "string", "pattern": "^0[xX][0-9a-fA-F]{40}$", "description": "A deployed contract (proxies are followed to their implementation)" },
                    "chain": { "type": "string", "description": "The name of a chain the service knows; an unknown one is the problem `unknown-chain`" },
                    "block": { "type": "integer", "minimum": 0, "description": "The block to read at; default: the latest block when the audit runs (such an audit is never answered from the cache)" },
                    "include_detectors": { "type": "array", "items": { "type": "string" } },
                    "exclude_detectors": { "type": "array", "items": { "type": "string" } },
                    "min_severity": { "type": "string", "enum": severities },
                    "timeout_secs": { "type": "integer", "minimum": 1 },
                    "project": { "type": "string", "maxLength": 100, "description": "The project the audit belongs to; default: derived from the file names" },
                    "tools": { "type": "array", "items": { "type": "string", "enum": crate::analyzer::EXTERNAL_TOOLS }, "description": "Other analyzers to run beside ours and merge; each must be in the `tools` of the tenant's plan (else the problem `tool-not-allowed`)" } } },
                "AuditCreated": { "type": "object", "required": ["id", "status"], "properties": {
                    "id": { "type": "string" }, "status": { "type": "string", "enum": statuses } } },
                "Audit": { "type": "object", "required": ["id", "status"], "properties": {
                    "id": { "type": "string" }, "status": { "type": "string", "enum": statuses },
                    "created_at": { "type": "string", "format": "date-time" },
                    "started_at": { "type": ["string", "null"], "format": "date-time" },
                    "finished_at": { "type": ["string", "null"], "format": "date-time" },
                    "duration_ms": { "type": ["integer", "null"] }, "error": { "type": ["string", "null"] },
                    "counts": { "type": ["object", "null"], "additionalProperties": { "type": "integer" } },
                    "finding_count": { "type": ["integer", "null"] }, "file_count": { "type": "integer" },
                    "source_bytes": { "type": "integer" }, "options": { "type": "object" }, "timeout_secs": { "type": "integer" },
                    "from_cache": { "type": "boolean" }, "attempts": { "type": "integer" }, "created_by": { "type": "string" },
                    "project": { "type": ["string", "null"] },
                    "target": { "oneOf": [{ "type": "null" }, r("AuditTarget")], "description": "The deployed contract audited; null for submitted sources" } } },
                "AuditTarget": { "type": "object", "required": ["chain", "address", "block"], "properties": {
                    "chain": { "type": "string" }, "address": { "type": "string", "description": "In lower case" },
                    "block": { "type": ["integer", "null"], "description": "null: the latest block when the audit ran" } } },
                "Finding": { "type": "object", "required": ["id", "detector", "severity", "confidence", "file", "start_line", "end_line", "message", "fingerprint", "triage_state"], "properties": {
                    "id": { "type": "string" }, "audit_id": { "type": "string" }, "detector": { "type": "string" }, "title": { "type": "string" },
                    "severity": { "type": "string", "enum": severities }, "confidence": { "type": "string" },
                    "file": { "type": "string" }, "start_line": { "type": "integer" }, "end_line": { "type": "integer" },
                    "message": { "type": "string" }, "fingerprint": { "type": "string" },
                    "category": { "type": ["string", "null"] }, "swc": { "type": ["string", "null"] },
                    "triage_state": { "type": "string", "enum": triage },
                    "history": { "type": "array", "items": { "type": "object" } },
                    "found_by": { "type": "array", "items": { "type": "string" }, "description": "JSON report only: the analyzers that found it, when others ran" },
                    "previously_dismissed": recalled } },
                "Tenant": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "plan": { "type": "string" }, "is_operator": { "type": "boolean" }, "created_at": { "type": "string" } } },
                "User": { "type": "object", "properties": { "id": { "type": "string" }, "tenant_id": { "type": "string" }, "email": { "type": "string" }, "role": { "type": "string" }, "disabled": { "type": "boolean" }, "created_at": { "type": "string" } } },
                "ApiKey": { "type": "object", "properties": { "id": { "type": "string" }, "tenant_id": { "type": "string" }, "name": { "type": "string" }, "role": { "type": "string" }, "prefix": { "type": "string" }, "created_at": { "type": "string" }, "revoked_at": { "type": ["string", "null"] }, "expires_at": { "type": ["string", "null"] }, "last_used_at": { "type": ["string", "null"] } } },
                "AuditEvent": { "type": "object", "properties": { "seq": { "type": "integer" }, "ts": { "type": "string" }, "tenant_id": { "type": ["string", "null"] }, "actor": { "type": "string" }, "action": { "type": "string" }, "target": { "type": ["string", "null"] }, "outcome": { "type": "string" }, "detail": { "type": "object" }, "hash": { "type": "string" } } },
                "Webhook": { "type": "object", "properties": { "id": { "type": "string" }, "url": { "type": "string" },
                    "events": { "type": "array", "items": { "type": "string", "enum": webhook_events } }, "description": { "type": "string" },
                    "enabled": { "type": "boolean" }, "disabled_reason": { "type": ["string", "null"] }, "consecutive_failures": { "type": "integer" },
                    "created_by": { "type": "string" }, "created_at": { "type": "string" }, "updated_at": { "type": "string" } } },
                "WebhookDelivery": { "type": "object", "properties": { "id": { "type": "string", "description": "Also sent as `X-Web3audit-Delivery`" },
                    "webhook_id": { "type": "string" }, "event": { "type": "string" }, "status": { "type": "string", "enum": delivery_statuses },
                    "attempts": { "type": "integer" }, "last_status_code": { "type": ["integer", "null"] }, "last_error": { "type": ["string", "null"] },
                    "created_at": { "type": "string" }, "last_attempt_at": { "type": ["string", "null"] }, "next_attempt_at": { "type": ["string", "null"] },
                    "finished_at": { "type": ["string", "null"] }, "duration_ms": { "type": ["integer", "null"] }, "payload": { "type": "object" } } },
                "Health": { "type": "object", "properties": { "status": { "type": "string", "enum": ["healthy", "degraded", "unhealthy"] }, "components": { "type": "object" } } }
            }
        }
    })
}

pub(crate) async fn document() -> Json<Value> {
    Json(openapi())
}
