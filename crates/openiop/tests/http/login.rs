//! Login, lockout, throttling, sessions and tokens.

use openiop_web::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::on_both;
use crate::support::{ADMIN, Backend, PASSWORD, TestApp};

on_both!(unknown_user_and_wrong_password_look_alike, |app| {
    let (s1, b1, c1) = app.login_full("nobody", "Whatever-Pass-1").await;
    let (s2, b2, c2) = app.login_full(ADMIN.0, "Wrong-Password-1").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2);
    assert_eq!((c1, c2), (None, None));
    // Usernames are not case-sensitive.
    assert_eq!(app.login_full("ADMIN", ADMIN.1).await.0, StatusCode::OK);
});

on_both!(five_failures_lock_the_account_for_fifteen_minutes, |app| {
    let admin = app.admin().await;
    app.user(&admin, "locky", "clinician", None).await;
    for _ in 0..5 {
        assert_eq!(
            app.login_full("locky", "Wrong-Password-1").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let resp = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "locky", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password is refused"
    );
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "retry-after {retry}");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );
    // Other accounts are not affected.
    assert_eq!(app.login_full(ADMIN.0, ADMIN.1).await.0, StatusCode::OK);
    app.clock.advance(time::Duration::minutes(15));
    assert_eq!(app.login_full("locky", PASSWORD).await.0, StatusCode::OK);
    // Success resets the count: four more failures do not lock.
    for _ in 0..4 {
        assert_eq!(
            app.login_full("locky", "Wrong-Password-1").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.login_full("locky", PASSWORD).await.0, StatusCode::OK);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_attempts_from_one_address_are_throttled() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let mut config = Config::default();
        config.login.address_limit = 3;
        let app = TestApp::start_with(backend, config).await;
        for _ in 0..3 {
            assert_eq!(
                app.login_full("nobody", "Whatever-Pass-1").await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        let (status, body, _) = app.login_full(ADMIN.0, ADMIN.1).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        app.clock.advance(time::Duration::minutes(5));
        assert_eq!(app.login_full(ADMIN.0, ADMIN.1).await.0, StatusCode::OK);
        app.stop().await;
    }
}

on_both!(sessions_rotate_expire_and_end, |app| {
    let (status, body, cookie) = app.login_full(ADMIN.0, ADMIN.1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["username"], "admin");
    let cookie = cookie.expect("session cookie");
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43, "256 bits, base64url");
    // Every login gets a new session id.
    let (_, _, second) = app.login_full(ADMIN.0, ADMIN.1).await;
    assert_ne!(Some(cookie.clone()), second);
    // The cookie is HttpOnly and SameSite=Lax.
    let raw = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
        .send()
        .await
        .unwrap();
    let set = raw.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    // Cookie sessions work on the API for reads; writes need the CSRF header.
    let me = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let write = app
        .http
        .post(app.url("/api/v1/sites"))
        .header("cookie", &cookie)
        .json(&json!({"name": "X", "time_zone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    // Idle for longer than the timeout: the browser session is gone.
    app.clock.advance(time::Duration::minutes(31));
    let me = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    // The token lasts longer, until logout.
    assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);
    assert_eq!(
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&token),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/auth/me", "not-a-token").await.0,
        StatusCode::UNAUTHORIZED
    );
});

on_both!(multi_factor_codes_are_required_once_enabled, |app| {
    use openiop_core::totp;
    let admin = app.admin().await;
    let (status, setup) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/mfa/setup",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
    assert!(
        setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/OpenIOP:admin?secret=")
    );
    // Not enabled until confirmed: login still works without a code.
    assert_eq!(app.login_full(ADMIN.0, ADMIN.1).await.0, StatusCode::OK);
    let code = |at: time::OffsetDateTime| {
        format!(
            "{:06}",
            totp::code_at(&secret, totp::step_of(at.unix_timestamp()))
        )
    };
    let (status, problem) = app
        .post("/api/v1/auth/mfa/confirm", &admin, json!({"totp": "12345"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "totp");
    let now = app.clock.now();
    let (status, _) = app
        .post(
            "/api/v1/auth/mfa/confirm",
            &admin,
            json!({"totp": code(now)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let login = |totp: Option<String>| {
        let mut body = json!({"username": ADMIN.0, "password": ADMIN.1});
        if let Some(t) = totp {
            body["totp"] = json!(t);
        }
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(body),
        )
    };
    let (status, problem) = login(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["mfa_required"], json!(true));
    // The code just used to confirm cannot be replayed.
    let (status, problem) = login(Some(code(now))).await;
    assert_eq!(
        (status, problem["mfa_required"].clone()),
        (StatusCode::UNAUTHORIZED, json!(true))
    );
    let (status, problem) = login(Some("000000".into())).await;
    assert_eq!(
        (status, problem["mfa_required"].clone()),
        (StatusCode::UNAUTHORIZED, json!(true))
    );
    // Wrong passwords still look like wrong passwords, with no hint about the factor.
    let (status, problem) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": ADMIN.0, "password": "Wrong-Password-1", "totp": "000000"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(problem.get("mfa_required").is_none());
    app.clock.advance(time::Duration::seconds(31));
    let (status, body) = login(Some(code(app.clock.now()))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A second setup while enabled is refused.
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/mfa/setup",
            Some(token),
            None
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
});

on_both!(secrets_are_stored_only_as_hashes, |app| {
    let (_, body, cookie) = app.login_full(ADMIN.0, ADMIN.1).await;
    let token = body["token"].as_str().unwrap();
    let cookie_value = cookie
        .unwrap()
        .trim_start_matches("openiop_session=")
        .to_owned();
    let mut conn = app.store.read().await.unwrap();
    let (hashes, password_hash): (Vec<String>, String) = openiop_store::on_db!(conn.db(), |c| {
        let hashes = sqlx::query_scalar::<_, String>("SELECT id_hash FROM auth_sessions")
            .fetch_all(&mut *c)
            .await
            .unwrap();
        let password = sqlx::query_scalar::<_, String>(
            "SELECT password_hash FROM users WHERE username = 'admin'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        (hashes, password)
    });
    assert!(password_hash.starts_with("$argon2id$"), "{password_hash}");
    assert!(
        !hashes.iter().any(|h| h == token || *h == cookie_value),
        "no secret in the clear"
    );
    assert!(hashes.contains(&openiop_web::auth::hash_secret(token)));
    assert!(hashes.contains(&openiop_web::auth::hash_secret(&cookie_value)));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_is_configured_for_durability() {
    let app = TestApp::start(Backend::Sqlite).await;
    let mut conn = app.store.read().await.unwrap();
    let openiop_store::Db::Sqlite(c) = conn.db() else {
        panic!("sqlite")
    };
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(
        (journal.as_str(), synchronous, foreign_keys),
        ("wal", 2, 1),
        "WAL, synchronous=FULL, foreign keys on"
    );
    assert!(busy >= 5000);
    drop(conn);
    app.stop().await;
}

on_both!(common_and_predictable_passwords_are_refused, |app| {
    let admin = app.admin().await;
    for (password, username) in [
        ("Password2024!", "weak1"),
        ("qwerty123456", "weak2"),
        ("aaaaaaaaaaaa", "weak3"),
        ("nurse.jackie-2026", "nurse.jackie"),
    ] {
        let (status, problem) = app
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": username, "password": password, "role": "clinician"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert_eq!(problem["errors"][0]["field"], "password", "{password}");
    }
    let (status, _) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "strong", "password": "river otter kayak dawn", "role": "clinician"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "no composition rules");
});

on_both!(an_admin_ends_every_session_of_a_user, |app| {
    let admin = app.admin().await;
    let id = app.user(&admin, "leaver", "clinician", None).await;
    let first = app.login("leaver", PASSWORD).await;
    let second = app.login("leaver", PASSWORD).await;
    assert_eq!(app.get("/api/v1/auth/me", &first).await.0, StatusCode::OK);
    let path = format!("/api/v1/users/{id}/sessions/revoke");
    assert_eq!(
        app.post(&path, &first, json!({})).await.0,
        StatusCode::FORBIDDEN,
        "only an admin"
    );
    let (status, body) = app.post(&path, &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["revoked"], 4,
        "each login made a cookie session and a token"
    );
    for token in [&first, &second] {
        assert_eq!(
            app.get("/api/v1/auth/me", token).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.get("/api/v1/auth/me", &admin).await.0, StatusCode::OK);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|e| e.event.action == "user.sessions.revoke")
    );
});

on_both!(
    an_organization_requires_a_second_factor_with_qr_and_recovery_codes,
    |app| {
        use openiop_core::totp;
        let admin = app.admin().await;
        app.user(&admin, "nurse", "clinician", None).await;
        let patient = app.patient(&admin, "Pia", "Portal").await;
        app.user(&admin, "pia", "patient", Some(&patient)).await;
        let nurse = app.login("nurse", PASSWORD).await;
        assert_eq!(app.get("/api/v1/patients", &nurse).await.0, StatusCode::OK);
        let (status, _) = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/organization/security",
                Some(&nurse),
                Some(json!({"mfa_required": true})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "admins decide");
        let (status, _) = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/organization/security",
                Some(&admin),
                Some(json!({"mfa_required": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // Staff without a second factor can only set one up; patients are not held up.
        let (status, problem) = app.get("/api/v1/patients", &nurse).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(problem["mfa_enrollment_required"], true);
        assert_eq!(app.get("/api/v1/auth/me", &nurse).await.0, StatusCode::OK);
        let pia = app.login("pia", PASSWORD).await;
        assert_eq!(
            app.get(&format!("/api/v1/patients/{patient}"), &pia)
                .await
                .0,
            StatusCode::OK
        );
        let (cookie, _) = app.browser_session("nurse", PASSWORD).await;
        let resp = app
            .http
            .get(app.url("/patients"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(resp.headers()["location"], "/account/security");
        // Set-up: a QR code; confirmation answers ten single-use recovery codes.
        let (status, setup) = app
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/mfa/setup",
                Some(&nurse),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg"));
        let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
        let code = format!(
            "{:06}",
            totp::code_at(&secret, totp::step_of(app.clock.now().unix_timestamp()))
        );
        let (status, enabled) = app
            .post("/api/v1/auth/mfa/confirm", &nurse, json!({"totp": code}))
            .await;
        assert_eq!(status, StatusCode::OK, "{enabled}");
        let codes: Vec<String> = serde_json::from_value(enabled["recovery_codes"].clone()).unwrap();
        assert_eq!(codes.len(), 10);
        assert_eq!(app.get("/api/v1/patients", &nurse).await.0, StatusCode::OK);
        // A recovery code stands in for the app once.
        let login = |code: &str| {
            app.call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "nurse", "password": PASSWORD, "totp": code})),
            )
        };
        assert_eq!(login(&codes[3]).await.0, StatusCode::OK);
        let (status, problem) = login(&codes[3]).await;
        assert_eq!(
            (status, problem["mfa_required"].clone()),
            (StatusCode::UNAUTHORIZED, json!(true))
        );
        assert_eq!(login(&codes[4].to_uppercase()).await.0, StatusCode::OK);
    }
);

// Logging out with the bearer token left the browser session of the same login valid (and
// the other way round): a logout ends the whole login.
on_both!(
    a_logout_ends_both_the_token_and_the_cookie_of_that_login,
    |app| {
        let (status, body, cookie) = app.login_full(ADMIN.0, ADMIN.1).await;
        assert_eq!(status, StatusCode::OK);
        let token = body["token"].as_str().unwrap().to_owned();
        let cookie = cookie.unwrap();
        // Another login of the same user stays.
        let other = app.login(ADMIN.0, ADMIN.1).await;
        assert_eq!(app.page("/patients", &cookie).await.0, StatusCode::OK);
        let out = app
            .http
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        let page = app
            .http
            .get(app.url("/patients"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.headers()["location"], "/login", "the cookie ended too");
        assert_eq!(app.get("/api/v1/auth/me", &other).await.0, StatusCode::OK);
        // The page's logout ends the token of its login as well.
        let (status, body, cookie) = app.login_full(ADMIN.0, ADMIN.1).await;
        assert_eq!(status, StatusCode::OK);
        let token = body["token"].as_str().unwrap().to_owned();
        let csrf = body["csrf_token"].as_str().unwrap();
        let (status, _, _) = app
            .form("/logout", &cookie.unwrap(), &format!("csrf={csrf}"))
            .await;
        assert!(status.is_redirection(), "{status}");
        assert_eq!(
            app.get("/api/v1/auth/me", &token).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(app.get("/api/v1/auth/me", &other).await.0, StatusCode::OK);
    }
);

// A locked account answered 429 while an unknown name kept answering 401: usernames could
// be enumerated. Failures are counted per submitted name, so both answer alike.
on_both!(an_unknown_username_locks_out_like_a_real_one, |app| {
    app.user(&app.admin().await, "real.user", "billing", None)
        .await;
    let mut answers = Vec::new();
    for name in ["real.user", "no.such.user"] {
        let mut seen = Vec::new();
        for _ in 0..7 {
            let (status, _) = app
                .call(
                    reqwest::Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"username": name, "password": "Wrong-password-123"})),
                )
                .await;
            seen.push(status.as_u16());
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], [401, 401, 401, 401, 401, 429, 429]);
    assert_eq!(
        answers[1], answers[0],
        "an unknown name answers as a real one"
    );
    // Another unknown name is not affected.
    let (status, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "someone.else", "password": "Wrong-password-123"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("login_name_failures").await, 2);
});

// TOTP secrets were stored as plain hex and recovery codes as unsalted SHA-256 of 40-bit
// values. Secrets are now sealed with a key derived from the audit key (outside the
// database), recovery codes carry 80 bits and are hashed with a key, and secrets stored
// in the old form are sealed at start.
on_both!(
    second_factor_secrets_are_sealed_outside_the_database,
    |app| {
        use openiop_core::totp;
        let admin = app.admin().await;
        let (status, setup) = app
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/mfa/setup",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{setup}");
        let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
        let plain_hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let sealed_query =
            format!("users WHERE totp_secret LIKE 'v1:%' AND totp_secret NOT LIKE '%{plain_hex}%'");
        assert_eq!(
            app.count(&sealed_query).await,
            1,
            "the secret is sealed, not stored as sent"
        );
        let code = |at: time::OffsetDateTime| {
            format!(
                "{:06}",
                totp::code_at(&secret, totp::step_of(at.unix_timestamp()))
            )
        };
        let (status, confirmed) = app
            .post(
                "/api/v1/auth/mfa/confirm",
                &admin,
                json!({"totp": code(app.clock.now())}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{confirmed}");
        let codes: Vec<String> = confirmed["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        for c in &codes {
            assert_eq!(
                c.len(),
                19,
                "{c}: four groups of four base32 characters (80 bits)"
            );
            let unsalted = openiop_web::auth::hash_secret(c);
            assert_eq!(
                app.count(&format!(
                    "mfa_recovery_codes WHERE code_hash = '{unsalted}'"
                ))
                .await,
                0,
                "not an unsalted hash"
            );
        }
        // A recovery code logs in once.
        let login = |totp: &str| {
            app.call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": ADMIN.0, "password": ADMIN.1, "totp": totp})),
            )
        };
        assert_eq!(login(&codes[0].to_uppercase()).await.0, StatusCode::OK);
        assert_eq!(login(&codes[0]).await.0, StatusCode::UNAUTHORIZED);
        // A secret stored in the old plain form is sealed at start and keeps working.
        app.exec(&format!(
            "UPDATE users SET totp_secret = '{plain_hex}' WHERE username = 'admin'"
        ))
        .await;
        assert_eq!(
            openiop_web::secrets::seal_stored_secrets(&app.store)
                .await
                .unwrap(),
            1
        );
        assert_eq!(app.count(&sealed_query).await, 1);
        app.clock.advance(time::Duration::seconds(31));
        assert_eq!(login(&code(app.clock.now())).await.0, StatusCode::OK);
    }
);

// NIST SP 800-63B-4: a password that is the only factor needs 15 characters (12 with a
// second factor). New accounts need 15; an existing shorter one is asked to change at its
// next login, and nothing else answers until it does.
on_both!(
    a_short_single_factor_password_must_be_changed_first,
    |app| {
        let admin = app.admin().await;
        let (status, problem) = app
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": "short.pass", "password": "Thirteen-ch-1", "role": "billing"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "password");
        // An account from before the rule, with a 12-character password.
        app.user(&admin, "old.account", "front_desk", None).await;
        let old_hash = openiop_web::auth::hash_password("Twelve-ch-42")
            .await
            .unwrap();
        app.exec(&format!(
            "UPDATE users SET password_hash = '{old_hash}' WHERE username = 'old.account'"
        ))
        .await;
        let (status, body, cookie) = app.login_full("old.account", "Twelve-ch-42").await;
        assert_eq!(status, StatusCode::OK);
        let token = body["token"].as_str().unwrap().to_owned();
        let other = app.login("old.account", "Twelve-ch-42").await;
        let (status, problem) = app.get("/api/v1/patients", &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(problem["password_change_required"], true);
        let page = app
            .http
            .get(app.url("/patients"))
            .header("cookie", cookie.clone().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(page.headers()["location"], "/account/password");
        let (status, form) = app.page("/account/password", &cookie.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("id=\"password-required\""));
        // Wrong current password, too short a new one: each named.
        for (body, field) in [
            (
                json!({"current_password": "nope", "new_password": "a long new pass phrase"}),
                "current_password",
            ),
            (
                json!({"current_password": "Twelve-ch-42", "new_password": "Still-short-1"}),
                "new_password",
            ),
        ] {
            let (status, problem) = app.post("/api/v1/auth/password", &token, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert_eq!(problem["errors"][0]["field"], field);
        }
        let (status, _) = app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current_password": "Twelve-ch-42", "new_password": "a long new pass phrase"}),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(app.get("/api/v1/patients", &token).await.0, StatusCode::OK);
        assert_eq!(
            app.get("/api/v1/auth/me", &other).await.0,
            StatusCode::UNAUTHORIZED,
            "the account's other logins end"
        );
        assert_eq!(
            app.login_full("old.account", "Twelve-ch-42").await.0,
            StatusCode::UNAUTHORIZED
        );
        let fresh = app.login("old.account", "a long new pass phrase").await;
        assert_eq!(app.get("/api/v1/patients", &fresh).await.0, StatusCode::OK);
    }
);
