//! wiremock set-ups the client suites share.

use wiremock::{MockBuilder, MockServer, ResponseTemplate};

/// `route` answers `first` to one request and `then` to one more: a service that refuses or fails
/// once (a 429, a 500) and takes the retry. Each is expected exactly once.
pub async fn once_then(
    server: &MockServer,
    route: impl Fn() -> MockBuilder,
    first: ResponseTemplate,
    then: ResponseTemplate,
) {
    route().respond_with(first).up_to_n_times(1).expect(1).mount(server).await;
    route().respond_with(then).expect(1).mount(server).await;
}
