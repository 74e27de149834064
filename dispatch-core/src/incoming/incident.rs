//! The incident step (DESIGN.md §5b): page PagerDuty for a high-priority or fallback alarm,
//! through the Events API v2 when a routing key is configured, else the REST API.

use tracing::{error, info};

use super::{EventReport, IncidentReport, Incoming};
use crate::deadline::Deadline;
use crate::pagerduty::{Event, EventPayload, IncidentOutcome, NewIncident, PagerDutyError};
use crate::routing::IncidentPlan;

/// How PagerDuty was paged.
#[derive(Debug)]
pub(super) enum Paged {
    /// Through the REST API: an incident.
    Incident(IncidentReport),
    /// Through the Events API v2: an alert.
    Alert(EventReport),
}

impl Incoming {
    /// Pages PagerDuty for the plan's incident.
    pub(super) async fn page(&self, incident: &IncidentPlan, deadline: Deadline) -> Result<Paged, PagerDutyError> {
        let Some(events) = &self.pagerduty_events else {
            return self.create_incident(incident, deadline).await.map(Paged::Incident);
        };
        let event = Event::Trigger {
            dedup_key: incident.incident_key.clone(),
            payload: EventPayload {
                summary: crate::pagerduty::summary(&incident.title),
                source: crate::pagerduty::SOURCE.to_owned(),
                severity: incident.severity,
                custom_details: crate::pagerduty::custom_details(incident.details.as_deref()),
            },
            links: incident.links.clone(),
        };
        let dedup_key = event.dedup_key();
        let severity = incident.severity.as_str();
        let enqueued = events.enqueue(&event, deadline).await.inspect_err(|e| {
            error!(api = "events", dedup_key, severity, error = %e, retryable = e.is_retryable(), outcome = "alert failed", "PagerDuty alert not triggered");
        })?;
        info!(
            api = "events",
            dedup_key,
            severity,
            outcome = "alert triggered",
            "PagerDuty alert triggered (deduplicated by PagerDuty if one with this key is open)"
        );
        Ok(Paged::Alert(EventReport { event, enqueued }))
    }

    /// Opens the incident through the REST API (PagerDuty keeps one open incident per key).
    async fn create_incident(
        &self,
        incident: &IncidentPlan,
        deadline: Deadline,
    ) -> Result<IncidentReport, PagerDutyError> {
        let new = NewIncident {
            title: incident.title.clone(),
            details: incident.details.clone(),
            incident_key: incident.incident_key.clone(),
            service: incident.service.clone(),
        };
        let outcome = self.pagerduty.create_incident(&new, deadline).await.inspect_err(|e| {
            error!(error = %e, retryable = e.is_retryable(), outcome = "incident failed", "PagerDuty incident not created");
        })?;
        match &outcome {
            IncidentOutcome::Created { id, .. } => {
                info!(incident = %id, outcome = "incident created", "PagerDuty incident created")
            }
            IncidentOutcome::AlreadyOpen => {
                info!(outcome = "incident already open", "PagerDuty incident already open for this key")
            }
        }
        Ok(IncidentReport { incident: new, outcome })
    }
}
