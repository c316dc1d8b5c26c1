//! The foundation's CLI promises through the binary: the scene listing tells required from
//! optional parameters; bad input gives a located message, exit code 2 and no files; interrupted
//! exports say so and exit non-zero.

use crate::common::{run, stderr};

/// The parameter line of `name` in `tickframe scenes SCENE`'s output.
fn param_line<'a>(listing: &'a str, name: &str) -> &'a str {
    listing
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("`{name}` not listed in:\n{listing}"))
}

#[test]
fn scenes_listing_tells_required_from_optional() {
    let o = run(&["scenes", "spritesheet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let column = |line: &str| line.split_whitespace().nth(2).map(str::to_string);
    assert_eq!(column(param_line(&text, "path")).as_deref(), Some("required"), "{text}");
    for optional in ["tag", "start", "loop", "end", "background"] {
        let line = param_line(&text, optional);
        assert!(line.contains("optional, none"), "{optional}: {line}");
        assert!(!line.contains("required"), "{optional}: {line}");
    }
    assert!(param_line(&text, "repeat").contains("default 0"), "{text}");
    let o = run(&["scenes", "text"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(param_line(&text, "background").contains("optional, none"), "{text}");
    assert!(!text.contains("required"), "text has no required parameter:\n{text}");
}
