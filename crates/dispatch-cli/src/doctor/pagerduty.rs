//! The PagerDuty checks: the REST API key and `From`, and the Events API routing key.

use dispatch_core::config::PagerDutyConfig;
use dispatch_core::deadline::Deadline;
use dispatch_core::kms::{Kms, SECURE_PREFIX};
use dispatch_core::pagerduty::{PagerDuty, PagerDutyError};
use secrecy::ExposeSecret;

use super::{CHECK_BUDGET, Doctor, KMS_FIX, POLICY, ROUTING_KEY_LEN, UNREACHABLE_FIX};

impl Doctor {
    pub(super) async fn pagerduty(&mut self, config: &PagerDutyConfig) {
        let http = match dispatch_core::http::client(POLICY.request_timeout) {
            Ok(http) => http,
            Err(e) => {
                self.fail("PagerDuty", format!("no HTTP client: {e}"), "run the doctor again");
                return;
            }
        };
        let pagerduty = PagerDuty::new(http, &config.api_url, config.api_key.clone(), config.from.clone(), POLICY);
        let service = &config.service;
        match pagerduty.service(service, Deadline::after(CHECK_BUDGET)).await {
            Ok(found) => {
                self.pass("PagerDuty", "the API key works");
                match found {
                    Some(s) => self.pass("PagerDuty", format!("service {service} exists ({})", s.name)),
                    None => self.fail(
                        "PagerDuty",
                        format!("service {service} does not exist"),
                        "set PagerDutyServiceId to the ID at the end of the service's address (…/service-directory/PXXXXXX)",
                    ),
                }
            }
            Err(PagerDutyError::Unauthorized { status, .. }) => {
                self.fail(
                    "PagerDuty",
                    format!("the API key was refused (HTTP {status})"),
                    "create a REST API key under Integrations › API Access Keys and put it in PagerDutyApiKey",
                );
                self.skip("PagerDuty", "service and From address not checked without a working key");
                return;
            }
            Err(e) => {
                self.fail("PagerDuty", format!("service {service} cannot be read: {e}"), UNREACHABLE_FIX);
                return;
            }
        }
        let from = &config.from;
        match pagerduty.user_by_email(from, Deadline::after(CHECK_BUDGET)).await {
            Ok(Some(user)) => {
                self.pass("PagerDuty", format!("the From address {from} is a user of the account ({})", user.name))
            }
            Ok(None) => self.fail(
                "PagerDuty",
                format!("the From address {from} is not a user of the account"),
                "set PagerDutyFromAddress to the login email of a PagerDuty user: incidents are opened in their name",
            ),
            Err(e) => self.fail("PagerDuty", format!("the users cannot be searched: {e}"), UNREACHABLE_FIX),
        }
    }

    /// Checks the form of `PagerDutyRoutingKey` (read raw, decrypted if `secure:`); sends nothing.
    pub(super) async fn routing_key(&mut self, raw: Option<&str>, kms: Option<&Kms>) {
        let Some(raw) = raw else {
            self.skip("PagerDuty", "no routing key (PagerDutyRoutingKey): alarms open incidents with the REST API");
            return;
        };
        let key = match (raw.strip_prefix(SECURE_PREFIX), kms) {
            (None, _) => raw.trim().to_owned(),
            (Some(ciphertext), Some(kms)) => match kms.decrypt(ciphertext).await {
                Ok(plain) => plain.expose_secret().to_owned(),
                Err(reason) => {
                    self.fail("PagerDuty", format!("PagerDutyRoutingKey cannot be decrypted: {reason}"), KMS_FIX);
                    return;
                }
            },
            (Some(_), None) => unreachable!("a KMS client is made when the routing key is secure:"),
        };
        let n = key.chars().count();
        if n == ROUTING_KEY_LEN && key.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.pass("PagerDuty", "the routing key is well formed (32 letters and digits; no event was sent)");
        } else {
            self.fail(
                "PagerDuty",
                format!("the routing key PagerDutyRoutingKey is not 32 letters and digits ({n} characters)"),
                "copy the Integration Key of the service's Events API v2 integration (Service › Integrations) into PagerDutyRoutingKey",
            );
        }
    }
}
