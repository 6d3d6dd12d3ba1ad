//! The live page at `GET /`: HTML, CSS and JS compiled into the binary (no
//! CDN, no build step); the script polls `GET /ratesim/stats` every second.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::App;

const HTML: &str = include_str!("dashboard/index.html");
const CSS: &str = include_str!("dashboard/style.css");
const JS: &str = include_str!("dashboard/app.js");

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], HTML).into_response()
            }),
        )
        .route(
            "/ratesim/style.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
            }),
        )
        .route(
            "/ratesim/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    JS,
                )
                    .into_response()
            }),
        )
}
