//! The GitHub client against a mock API: creates, closes, comments, authentication, each error
//! class and the retry rules (the dedup lookup is in `github_lookup`).

use std::time::{Duration, Instant};

use dispatch_core::deadline::Deadline;
use dispatch_core::github::{GitHub, GitHubAuth, GitHubError, NewIssue};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::helpers::{TOKEN, app_auth, catch_all, client, deadline, issue_json, policy, repo, requests, url};

#[tokio::test]
async fn requests_carry_the_token_in_the_authorization_header_never_the_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/alarms/issues/5"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_json(&server.uri(), 5, "t", "open")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let issue = client(&server).issue(&repo(), 5, deadline()).await.unwrap();
    assert_eq!(issue.number, 5);
    let request = &requests(&server).await[0];
    assert!(request.url.query().is_none_or(|q| !q.contains("access_token")));
    assert!(request.headers.get("user-agent").is_some());
}

#[tokio::test]
async fn create_issue_sends_title_body_and_labels() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/alarms/issues"))
        .and(body_json(json!({ "title": "T", "body": "B \n\n @alice", "labels": ["2fa", "urgent"] })))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue_json(&server.uri(), 77, "T", "open")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let new = NewIssue { title: "T".into(), body: "B \n\n @alice".into(), labels: vec!["2fa".into(), "urgent".into()] };
    let issue = client(&server).create_issue(&repo(), &new, deadline()).await.unwrap();
    assert_eq!((issue.number, issue.html_url.ends_with("/issues/77")), (77, true));
}

#[tokio::test]
async fn a_create_that_timed_out_is_looked_up_before_being_sent_again() {
    let server = MockServer::start().await;
    // The first create is applied by GitHub but answers too late.
    Mock::given(method("POST"))
        .and(path("/repos/acme/alarms/issues"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(issue_json(&server.uri(), 12, "T", "open"))
                .set_delay(Duration::from_secs(2)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut applied = issue_json(&server.uri(), 12, "T", "open");
    applied["body"] = json!("B");
    Mock::given(method("GET"))
        .and(path("/repos/acme/alarms/issues"))
        .and(query_param("state", "all"))
        .and(query_param("sort", "created"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([applied])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let new = NewIssue { title: "T".into(), body: "B".into(), labels: vec![] };
    let issue = client(&server).create_issue(&repo(), &new, deadline()).await.unwrap();
    assert_eq!(issue.number, 12);
}

#[tokio::test]
async fn a_create_that_failed_with_a_5xx_and_was_not_applied_is_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/alarms/issues"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/alarms/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue_json(&server.uri(), 13, "T", "open")))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/alarms/issues"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let new = NewIssue { title: "T".into(), body: "B".into(), labels: vec![] };
    assert_eq!(client(&server).create_issue(&repo(), &new, deadline()).await.unwrap().number, 13);
}

#[tokio::test]
async fn a_rejected_create_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({ "message": "Validation Failed" })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let new = NewIssue { title: "T".into(), body: "B".into(), labels: vec![] };
    let error = client(&server).create_issue(&repo(), &new, deadline()).await.unwrap_err();
    assert!(
        matches!(error, GitHubError::Rejected { status: 422, ref message } if message == "Validation Failed"),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn close_issue_patches_state_closed_as_completed() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/alarms/issues/4"))
        .and(body_json(json!({ "state": "closed", "state_reason": "completed" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_json(&server.uri(), 4, "t", "closed")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    assert!(!client(&server).close_issue(&repo(), 4, deadline()).await.unwrap().is_open());
}

#[tokio::test]
async fn comment_posts_the_text() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/alarms/issues/4/comments"))
        .and(body_json(json!({ "body": "alice answered yes" })))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "id": 99, "html_url": "https://x/c/99", "body": "alice answered yes" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    assert_eq!(client(&server).comment(&repo(), 4, "alice answered yes", deadline()).await.unwrap().id, 99);
}

#[tokio::test]
async fn a_missing_issue_is_not_found_and_bad_credentials_are_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(path("/repos/acme/alarms/issues/404"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/repos/acme/alarms/issues/401"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({ "message": "Bad credentials" })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let github = client(&server);
    assert!(matches!(github.issue(&repo(), 404, deadline()).await, Err(GitHubError::NotFound(_))));
    assert!(matches!(github.issue(&repo(), 401, deadline()).await, Err(GitHubError::Unauthorized(401))));
}

#[tokio::test]
async fn server_errors_are_retried_then_given_up() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).expect(3).mount(&server).await;
    let error = client(&server).issue(&repo(), 1, deadline()).await.unwrap_err();
    assert!(matches!(error, GitHubError::Transient(_)) && error.is_retryable(), "{error:?}");
}

#[tokio::test]
async fn server_errors_stop_being_retried_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let started = Instant::now();
    let error = client(&server).issue(&repo(), 1, Deadline::after(Duration::from_millis(400))).await.unwrap_err();
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(requests(&server).await.len() < 3);
}

#[tokio::test]
async fn a_rate_limit_with_retry_after_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_json(&server.uri(), 1, "t", "open")))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    assert_eq!(client(&server).issue(&repo(), 1, deadline()).await.unwrap().number, 1);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn an_exhausted_quota_is_a_rate_limit_that_outlasts_the_deadline() {
    let server = MockServer::start().await;
    let reset = (chrono::Utc::now().timestamp() + 600).to_string();
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_str())
                .set_body_json(json!({ "message": "API rate limit exceeded for user ID 1." })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).issue(&repo(), 1, deadline()).await.unwrap_err();
    let GitHubError::RateLimited { retry_after: Some(wait) } = error else { panic!("{error:?}") };
    assert!(wait > Duration::from_secs(590));
}

#[tokio::test]
async fn a_github_enterprise_base_path_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/acme/alarms/issues/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_json(&server.uri(), 2, "t", "open")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let base = url::Url::parse(&format!("{}/api/v3", server.uri())).unwrap();
    let github = GitHub::new(&base, &GitHubAuth::Token(SecretString::from(TOKEN.to_owned())), policy()).unwrap();
    assert_eq!(github.issue(&repo(), 2, deadline()).await.unwrap().number, 2);
}

#[tokio::test]
async fn github_app_authentication_exchanges_a_jwt_for_an_installation_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/4242/access_tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "ghs_installation_token",
            "permissions": { "issues": "write" },
            "repository_selection": "selected",
            "expires_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/alarms/issues/3"))
        .and(header("authorization", "Bearer ghs_installation_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_json(&server.uri(), 3, "t", "open")))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let auth = app_auth();
    let github = GitHub::new(&url(&server), &auth, policy()).unwrap();
    assert_eq!(github.issue(&repo(), 3, deadline()).await.unwrap().number, 3);
    assert_eq!(github.issue(&repo(), 3, deadline()).await.unwrap().number, 3);
    let exchange = &requests(&server).await[0];
    let jwt = exchange.headers.get("authorization").unwrap().to_str().unwrap();
    assert!(jwt.starts_with("Bearer ey"), "the App authenticates with a JWT");
}

#[tokio::test]
async fn on_github_enterprise_server_an_app_learns_its_bots_login_from_get_app_with_its_jwt() {
    // No GraphQL under an Enterprise Server's REST base, and an installation may not ask
    // `GET /user`: the App itself says its slug, and its bot writes as `<slug>[bot]`.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/app"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "id": 17, "slug": "dispatch-app", "name": "Dispatch" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let auth = app_auth();
    let base = url::Url::parse(&format!("{}/api/v3", server.uri())).unwrap();
    let github = GitHub::new(&base, &auth, policy()).unwrap();

    assert_eq!(github.own_login(deadline()).await.unwrap(), "dispatch-app[bot]");
    assert_eq!(github.own_login(deadline()).await.unwrap(), "dispatch-app[bot]", "asked once per process");

    let asked = requests(&server).await;
    assert_eq!(asked.len(), 1, "neither GET /user nor an installation token: {asked:?}");
    let authorization = asked[0].headers.get("authorization").unwrap().to_str().unwrap();
    assert!(authorization.starts_with("Bearer ey"), "with the App's JWT");
}

#[tokio::test]
async fn a_bad_app_private_key_is_a_setup_error_without_the_key() {
    let auth = GitHubAuth::App {
        app_id: 1,
        private_key: SecretString::from("not a pem secret-value".to_owned()),
        installation_id: 2,
    };
    let error = GitHub::new(&url::Url::parse("http://127.0.0.1:1").unwrap(), &auth, policy()).unwrap_err();
    assert!(matches!(error, GitHubError::Setup(_)));
    assert!(!format!("{error} {error:?}").contains("secret-value"));
}
