//! Markdown of knowledge-base articles, rendered to HTML that is safe to put into a page.
//!
//! CommonMark with tables, strikethrough and task lists. What an author could use to run script
//! or load something is taken away: raw HTML is shown as text, links keep only `http`, `https`
//! and `mailto` targets (and relative ones), and images become links (a page never loads
//! an image an author chose).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// The article text as HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        })
        | Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The link target if it is harmless, `#` otherwise. Browsers ignore tabs, newlines and
/// leading spaces in a URL (`java\tscript:`), so the scheme is read without them.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = compact.find(':');
    let path_start = compact.find(['/', '?', '#']);
    let has_scheme = match (scheme_end, path_start) {
        (Some(colon), Some(path)) => colon < path,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let allowed = !has_scheme
        || ["http:", "https:", "mailto:"]
            .iter()
            .any(|scheme| compact.starts_with(scheme));
    if allowed { url } else { CowStr::from("#") }
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_becomes_html() {
        let html = to_safe_html(
            "# Fix\n\n1. Open **Settings**\n2. Run `reset`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Fix</h1>"), "{html}");
        assert!(html.contains("<strong>Settings</strong>"), "{html}");
        assert!(html.contains("<code>reset</code>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        for source in [
            "<script>alert(1)</script>",
            "before <img src=x onerror=alert(1)> after",
            "<div onclick=\"steal()\">\nclick\n</div>",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let html = to_safe_html(source);
            assert!(!html.contains("<script"), "{source} → {html}");
            assert!(!html.contains("<img"), "{source} → {html}");
            assert!(!html.contains("<div"), "{source} → {html}");
            assert!(!html.contains("<iframe"), "{source} → {html}");
            assert!(html.contains("&lt;"), "the text stays visible: {html}");
        }
    }

    #[test]
    fn only_harmless_links_keep_their_target() {
        let html = to_safe_html(
            "[a](https://example.com/x) [b](/tickets/TCK-1) [c](mailto:ops@example.com) [d](javascript:alert(1)) [f](data:text/html,x) [g](VBScript:x)",
        );
        assert!(html.contains("href=\"https://example.com/x\""), "{html}");
        assert!(html.contains("href=\"/tickets/TCK-1\""), "{html}");
        assert!(html.contains("href=\"mailto:ops@example.com\""), "{html}");
        assert!(!html.to_lowercase().contains("script:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert_eq!(html.matches("href=\"#\"").count(), 3, "{html}");
        for hidden in [
            " javascript:x",
            "java\tscript:x",
            "java\nscript:x",
            "JAVASCRIPT:x",
        ] {
            assert_eq!(&*super::safe_url(hidden.into()), "#", "{hidden:?}");
        }
        assert_eq!(&*super::safe_url("docs/a:b".into()), "docs/a:b");
    }

    #[test]
    fn images_become_links() {
        let html = to_safe_html("![screenshot](https://tracker.example/pixel.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://tracker.example/pixel.png\">screenshot</a>"),
            "{html}"
        );
    }
}
