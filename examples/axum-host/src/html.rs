//! Server-rendered pages: plain HTML, one form per step, labelled inputs.

use axum::response::Html;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `body` (already HTML).
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · twostep demo host</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         label{{display:block;margin-top:.8rem;font-weight:600}}input[type=text],input[type=password]{{width:100%;padding:.4rem;font-size:1rem}}\
         button{{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}}.error{{color:#a00;font-weight:600}}\
         form.inline{{display:inline}}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    ))
}

fn alert(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default()
}

/// The password form.
pub fn login(error: Option<&str>) -> Html<String> {
    page(
        "Sign in",
        &format!(
            "{}<form method=\"post\" action=\"/login\">\n\
             <label for=\"username\">User name</label>\n\
             <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\n\
             <label for=\"password\">Password</label>\n\
             <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n\
             <button type=\"submit\">Continue</button>\n</form>\n",
            alert(error)
        ),
    )
}

/// The second step: a code from the authenticator app, or a backup code.
pub fn code(error: Option<&str>) -> Html<String> {
    page(
        "Two-step verification",
        &format!(
            "{}<form method=\"post\" action=\"/login/code\">\n\
             <label for=\"code\">Code from your authenticator app</label>\n\
             <input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
             pattern=\"[0-9 ]*\" aria-describedby=\"code-help\">\n\
             <p id=\"code-help\">Or, if you do not have your phone, one of your backup codes:</p>\n\
             <label for=\"backup_code\">Backup code</label>\n\
             <input type=\"text\" id=\"backup_code\" name=\"backup_code\" autocomplete=\"off\" spellcheck=\"false\">\n\
             <label><input type=\"checkbox\" name=\"remember\" value=\"on\"> Remember this device for 30 days</label>\n\
             <button type=\"submit\">Verify</button>\n</form>\n",
            alert(error)
        ),
    )
}

/// The home page, signed in or not.
pub fn home(user: Option<&str>, mfa_enabled: bool) -> Html<String> {
    let body = match user {
        None => {
            "<p>You are not signed in.</p>\n<p><a href=\"/login\">Sign in</a></p>\n".to_string()
        }
        Some(user) => format!(
            "<p>Signed in as <strong>{}</strong>.</p>\n{}\
             <ul>\n<li><a href=\"/account\">Security settings</a> (needs a second factor from the last hour)</li>\n\
             <li><a href=\"/api/me\">/api/me</a> (JSON, same requirement)</li>\n</ul>\n\
             <form class=\"inline\" method=\"post\" action=\"/step-up\"><button type=\"submit\">Verify a code now</button></form>\n\
             <form class=\"inline\" method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>\n",
            escape(user),
            if mfa_enabled {
                ""
            } else {
                "<p>Two-step verification is not set up for this account, so the protected pages stay closed.</p>\n"
            }
        ),
    };
    page("twostep demo host", &body)
}

/// The protected account page.
pub fn account(user: &str, amr: &str, age_secs: u64, max_age_secs: u64) -> Html<String> {
    page(
        "Security settings",
        &format!(
            "<p>Hello <strong>{}</strong>: you proved your second factor ({}) {} seconds ago; \
             this page asks for it again after {} seconds.</p>\n\
             <form method=\"post\" action=\"/account/forget-devices\">\n\
             <button type=\"submit\">Forget all remembered devices</button>\n</form>\n\
             <p><a href=\"/\">Home</a></p>\n",
            escape(user),
            escape(amr),
            age_secs,
            max_age_secs
        ),
    )
}

/// A message page with a link onwards.
pub fn message(title: &str, text: &str, link: &str, link_text: &str) -> Html<String> {
    page(
        title,
        &format!(
            "<p role=\"alert\">{}</p>\n<p><a href=\"{}\">{}</a></p>\n",
            escape(text),
            escape(link),
            escape(link_text)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
