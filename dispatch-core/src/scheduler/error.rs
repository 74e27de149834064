//! What can go wrong creating a schedule, typed by what the caller can do about it.

use aws_sdk_scheduler::config::http::HttpResponse;
use aws_sdk_scheduler::error::{ConnectorError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;

/// A failed `CreateSchedule`. Its text names the service's error code and message, never a
/// credential (the SDK signs requests; the messages carry none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchedulerError {
    /// Scheduler asked to slow down (`ThrottlingException`, HTTP 429), also after the SDK's retries.
    #[error("EventBridge Scheduler throttled CreateSchedule: {message}")]
    Throttled {
        /// The service's message.
        message: String,
    },
    /// Scheduler failed on its side (HTTP 5xx, `InternalServerException`) or answered something
    /// that could not be read, also after the SDK's retries.
    #[error("EventBridge Scheduler failed (HTTP {status}): {message}")]
    Unavailable {
        /// HTTP status, 0 when there was no readable response.
        status: u16,
        /// The service's error code and message.
        message: String,
    },
    /// Scheduler refused the request: it fails the same way however often it is sent
    /// (`ValidationException`, `AccessDeniedException`, `ResourceNotFoundException`,
    /// `ServiceQuotaExceededException`, …).
    #[error("EventBridge Scheduler refused CreateSchedule: {code}: {message}")]
    Refused {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The request could not be built (a field missing or malformed): a bug, not an outage.
    #[error("the CreateSchedule request could not be built: {0}")]
    Invalid(String),
    /// The invocation's deadline came before an answer.
    #[error("EventBridge Scheduler did not answer CreateSchedule before the deadline")]
    TimedOut,
    /// No connection: DNS, TCP, TLS or credentials could not be had.
    #[error("EventBridge Scheduler could not be reached: {0}")]
    Unreachable(String),
}

impl SchedulerError {
    /// Whether the same request may succeed later: throttling, failures on the service's side,
    /// timeouts and connection failures; not a refusal or a request that cannot be built.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Throttled { .. } | Self::Unavailable { .. } | Self::TimedOut | Self::Unreachable(_) => true,
            Self::Refused { .. } | Self::Invalid(_) => false,
        }
    }
}

/// What a `CreateSchedule` answered, once the SDK's own retries are over.
pub(super) enum Failure {
    /// `ConflictException`: a schedule of that name exists in the group.
    Conflict,
    /// Anything else.
    Error(SchedulerError),
}

/// The code and message of a service error, without the SDK's wrapping.
fn described(error: &CreateScheduleError) -> (String, String) {
    let code = error.code().unwrap_or("UnknownError").to_owned();
    let message = error.message().unwrap_or("no message").to_owned();
    (code, message)
}

impl From<SdkError<CreateScheduleError, HttpResponse>> for Failure {
    fn from(error: SdkError<CreateScheduleError, HttpResponse>) -> Self {
        let error = match error {
            SdkError::ServiceError(context) => {
                let error = context.err();
                if error.is_conflict_exception() {
                    return Self::Conflict;
                }
                let (code, message) = described(error);
                let status = context.raw().status().as_u16();
                if error.is_throttling_exception() || status == 429 {
                    SchedulerError::Throttled { message }
                } else if error.is_internal_server_exception() || status >= 500 {
                    SchedulerError::Unavailable { status, message: format!("{code}: {message}") }
                } else {
                    SchedulerError::Refused { code, message }
                }
            }
            SdkError::TimeoutError(_) => SchedulerError::TimedOut,
            SdkError::DispatchFailure(failure) if failure.is_timeout() => SchedulerError::TimedOut,
            SdkError::DispatchFailure(failure) => {
                SchedulerError::Unreachable(source_text(failure.as_connector_error()))
            }
            SdkError::ResponseError(context) => SchedulerError::Unavailable {
                status: context.raw().status().as_u16(),
                message: "the response could not be read".to_owned(),
            },
            failure @ SdkError::ConstructionFailure(_) => {
                SchedulerError::Invalid(DisplayErrorContext(&failure).to_string())
            }
            other => SchedulerError::Unreachable(DisplayErrorContext(&other).to_string()),
        };
        Self::Error(error)
    }
}

fn source_text(error: Option<&ConnectorError>) -> String {
    error.map_or_else(|| "connection failed".to_owned(), |e| e.to_string())
}
