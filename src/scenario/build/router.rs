//! `router:`: per class, the primary model and its fallbacks.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::distributions::range;
use super::known_model;
use crate::model::ModelSpec;
use crate::scenario::raw::RawRoute;
use crate::scenario::{Cx, ScenarioError};
use crate::strategy::{Route, Router};
use crate::workload::StreamSpec;

pub(in crate::scenario) fn router(
    cx: &Cx,
    raw: &BTreeMap<String, Spanned<RawRoute>>,
    classes: &[String],
    models: &[ModelSpec],
    streams: &[StreamSpec],
) -> Result<Router, ScenarioError> {
    let mut router = Router {
        routes: vec![None; classes.len()],
    };
    for (class, route) in raw {
        let Some(i) = classes.iter().position(|c| c == class) else {
            return Err(cx.unknown(
                &route.referenced,
                class,
                classes.iter().map(String::as_str),
                format!(
                    "router: no stream has class `{class}` (classes: {})",
                    classes.join(", ")
                ),
            ));
        };
        let index = |name: &Spanned<String>| {
            let m = known_model(cx, name, "router: ")?;
            // The class's requests may go to this model: their max_tokens
            // must be one it accepts.
            let asks = streams
                .iter()
                .filter(|s| s.class as usize == i)
                .filter_map(|s| range(&s.max_tokens).1.map(|hi| (hi, &s.name)))
                .find(|(hi, _)| *hi > m.max_output_tokens);
            if let Some((hi, stream)) = asks {
                return Err(cx.err(
                    &name.referenced,
                    format!(
                        "router: `{}` can generate at most {} tokens, but stream `{stream}` \
                         (class `{class}`) asks for max_tokens up to {hi}: the API would \
                         reject those requests",
                        m.id, m.max_output_tokens
                    ),
                ));
            }
            Ok::<u16, ScenarioError>(models.iter().position(|s| s.id == m.id).unwrap_or(0) as u16)
        };
        let r = &route.value;
        let mut to = vec![index(&r.primary)?];
        for f in &r.fallbacks {
            let m = index(f)?;
            if to.contains(&m) {
                return Err(cx.err(
                    &f.referenced,
                    format!("router: `{}` is listed twice for class `{class}`", f.value),
                ));
            }
            to.push(m);
        }
        router.routes[i] = Some(Route {
            models: to,
            on_429: r.on_429.unwrap_or(true),
            on_529: r.on_529.unwrap_or(true),
            spill_over: r.spill_over.unwrap_or(false),
        });
    }
    Ok(router)
}
