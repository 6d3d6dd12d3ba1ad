//! A `ratesim serve` app on a loopback port, in-process, and a plain HTTP
//! client (ureq, statuses not turned into errors).

use std::path::Path;

use ratesim::scenario::Scenario;
use ratesim::serve::{App, ServeConfig};

/// A running server; dropping it stops the runtime and the server.
pub struct Running {
    pub app: App,
    pub base: String,
    pub addr: std::net::SocketAddr,
    _rt: tokio::runtime::Runtime,
}

/// The config for a fixture scenario (`tests/fixtures/NAME`).
pub fn config(fixture: &str) -> ServeConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let s = Scenario::load(&path).expect("fixture loads");
    ServeConfig::from_scenario(&s).expect("fixture serves")
}

/// Serves `cfg` on 127.0.0.1 at a port the OS picks.
pub fn start(cfg: ServeConfig) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = App::new(cfg);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(ratesim::serve::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));
    Running {
        app,
        base: format!("http://{addr}"),
        addr,
        _rt: rt,
    }
}

/// An HTTP client that returns 4xx/5xx responses instead of errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A response: status, headers (lower-case names), body text.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Reply {
        status: r.status().as_u16(),
        headers,
        body: r.body_mut().read_to_string().expect("body"),
    }
}

/// POSTs a JSON body with an API key and any extra headers.
pub fn post(base: &str, path: &str, body: &str, extra: &[(&str, &str)]) -> Reply {
    let mut req = agent()
        .post(format!("{base}{path}"))
        .header("x-api-key", "test")
        .header("content-type", "application/json");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    reply(req.send(body).expect("request"))
}

/// GETs with an API key.
pub fn get(base: &str, path: &str) -> Reply {
    reply(
        agent()
            .get(format!("{base}{path}"))
            .header("x-api-key", "test")
            .call()
            .expect("request"),
    )
}
