//! `workspaces:`: each with its own caps, unlimited unless set.

use serde_saphyr::Spanned;

use super::limits::override_limits;
use crate::model::{PoolLimits, WorkspaceSpec};
use crate::scenario::raw::RawWorkspace;
use crate::scenario::{Cx, ScenarioError};

/// Most workspaces a scenario may declare (clients are numbered with a u16,
/// and the default client takes one number).
const MAX_WORKSPACES: usize = u16::MAX as usize - 1;

pub(in crate::scenario) fn workspaces(
    cx: &Cx,
    raw: &[Spanned<RawWorkspace>],
    pool_names: &[String],
) -> Result<Vec<WorkspaceSpec>, ScenarioError> {
    let mut workspaces: Vec<WorkspaceSpec> = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for w in raw {
        if workspaces.len() >= MAX_WORKSPACES {
            return Err(cx.err(
                &w.referenced,
                format!("too many workspaces (at most {MAX_WORKSPACES})"),
            ));
        }
        if !names.insert(w.value.name.as_str()) {
            return Err(cx.err(
                &w.referenced,
                format!("duplicate workspace `{}`", w.value.name),
            ));
        }
        let mut limits = vec![PoolLimits::default(); pool_names.len()];
        let what = format!("workspaces.{}.limits", w.value.name);
        for (key, lim) in &w.value.limits {
            override_limits(cx, &what, key, lim, pool_names, &mut limits)?;
        }
        workspaces.push(WorkspaceSpec {
            name: w.value.name.clone(),
            limits,
        });
    }
    Ok(workspaces)
}
