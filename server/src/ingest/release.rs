//! Comparing release names, for "resolved in release X": is a report's release older than X?
//!
//! Releases are often `package@version` (`shop@2.1.0`) or a bare version (`2.1.0`, `v2.1`). Two
//! releases compare when their package names agree (or either has none): versions are split into
//! numbers and words at dots, dashes and plus signs and compared part by part, numbers as numbers.
//! A pre-release (`2.1.0-rc.1`) is older than its release. Releases without a version number (a
//! commit hash, a word) or of other packages have no order here; the desk then orders them by
//! when the project first reported them.

use std::cmp::Ordering;

fn split(release: &str) -> (Option<&str>, &str) {
    match release.rsplit_once('@') {
        Some((package, version)) if !package.is_empty() => (Some(package), version),
        _ => (None, release),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Part<'a> {
    Number(u64),
    Word(&'a str),
}

fn parts(version: &str) -> (Vec<Part<'_>>, Vec<Part<'_>>) {
    let version = version.trim().trim_start_matches(['v', 'V']);
    let version = version.split('+').next().unwrap_or("");
    let (main, pre) = match version.split_once('-') {
        Some((main, pre)) => (main, pre),
        None => (version, ""),
    };
    (to_parts(main), to_parts(pre))
}

fn to_parts(text: &str) -> Vec<Part<'_>> {
    text.split(['.', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| match part.parse::<u64>() {
            Ok(number) => Part::Number(number),
            Err(_) => Part::Word(part),
        })
        .collect()
}

fn compare_parts(left: &[Part<'_>], right: &[Part<'_>]) -> Option<Ordering> {
    for index in 0..left.len().max(right.len()) {
        let ordering = match (left.get(index), right.get(index)) {
            (Some(Part::Number(a)), Some(Part::Number(b))) => a.cmp(b),
            (Some(Part::Word(a)), Some(Part::Word(b))) => a.cmp(b),
            (Some(Part::Number(_)), Some(Part::Word(_))) => Ordering::Greater,
            (Some(Part::Word(_)), Some(Part::Number(_))) => Ordering::Less,
            (Some(Part::Number(0)), None) | (None, Some(Part::Number(0))) => Ordering::Equal,
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        if ordering != Ordering::Equal {
            return Some(ordering);
        }
    }
    Some(Ordering::Equal)
}

/// How `report` orders against `fixed` by their version numbers; `None` when they cannot be
/// compared so: either has no version number (a commit hash, a word: its first part is not a
/// number), or they name different packages.
pub fn version_order(report: &str, fixed: &str) -> Option<Ordering> {
    let (report_package, report_version) = split(report);
    let (fixed_package, fixed_version) = split(fixed);
    if let (Some(a), Some(b)) = (report_package, fixed_package)
        && a != b
    {
        return None;
    }
    let (report_main, report_pre) = parts(report_version);
    let (fixed_main, fixed_pre) = parts(fixed_version);
    if !matches!(report_main.first(), Some(Part::Number(_)))
        || !matches!(fixed_main.first(), Some(Part::Number(_)))
    {
        return None;
    }
    match compare_parts(&report_main, &fixed_main)? {
        Ordering::Equal => Some(match (report_pre.is_empty(), fixed_pre.is_empty()) {
            // 2.1.0-rc.1 came before 2.1.0.
            (false, true) => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, false) => compare_parts(&report_pre, &fixed_pre)?,
            (true, true) => Ordering::Equal,
        }),
        other => Some(other),
    }
}

/// Whether `report` is certainly an older release than `fixed` by their version numbers.
pub fn is_older(report: &str, fixed: &str) -> bool {
    version_order(report, fixed) == Some(Ordering::Less)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_releases_are_recognised() {
        assert!(is_older("shop@2.0.9", "shop@2.1.0"));
        assert!(is_older("2.9", "2.10"), "numbers compare as numbers");
        assert!(is_older("v1.4", "1.5.0"));
        assert!(is_older("shop@2.1.0-rc.1", "shop@2.1.0"));
        assert!(is_older("2.1.0-alpha", "2.1.0-beta"));
        assert!(
            is_older("2.1", "shop@2.2"),
            "a bare version compares with a package's"
        );
    }

    #[test]
    fn the_same_newer_or_incomparable_releases_are_not_older() {
        assert!(!is_older("shop@2.1.0", "shop@2.1.0"));
        assert!(!is_older("2.1", "2.1.0"));
        assert!(!is_older("shop@2.2.0", "shop@2.1.0"));
        assert!(!is_older("2.1.0", "2.1.0-rc.1"));
        assert!(!is_older("billing@1.0", "shop@2.0"), "another package");
        assert!(!is_older("", "2.0"));
        assert!(
            !is_older("2.1.0+build.5", "2.1.0+build.9"),
            "build metadata does not order"
        );
    }

    #[test]
    fn commit_hashes_and_words_have_no_version_order() {
        for (report, fixed) in [
            ("0a1b2c3", "f9e8d7c"),
            ("abc1234", "def5678"),
            ("nightly", "stable"),
            ("vanilla", "verbena"),
            ("shop@abc1234", "shop@def5678"),
            ("billing@1.0", "shop@2.0"),
        ] {
            assert_eq!(version_order(report, fixed), None, "{report} {fixed}");
            assert!(!is_older(report, fixed), "{report} {fixed}");
        }
        assert_eq!(version_order("2.0", "shop@2.0.0"), Some(Ordering::Equal));
        assert_eq!(
            version_order("2.1.0", "2.1.0-rc.1"),
            Some(Ordering::Greater)
        );
    }
}
