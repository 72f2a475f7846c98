//! Translations of user-facing text. One table, one lookup: pages ask `t(lang, key)`.
//! The public self-check speaks English and Spanish; the rest of the UI can move its text
//! here key by key. A unit test checks that every key has every language.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// `?lang=` wins; otherwise the browser's first preference we speak; else English.
    pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Lang {
        match query {
            Some("es") => return Lang::Es,
            Some("en") => return Lang::En,
            _ => {}
        }
        let accepted = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for part in accepted.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("es") {
                return Lang::Es;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Es,
            Lang::Es => Lang::En,
        }
    }
}

/// The text of `key` in `lang` (the key itself when missing, which the test forbids).
pub fn t(lang: Lang, key: &str) -> &'static str {
    MESSAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, es)| if lang == Lang::Es { *es } else { *en })
        .unwrap_or("")
}

/// (key, English, Spanish)
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("lang.name", "English", "Español"),
    (
        "sc.title",
        "Is an intensive outpatient program right for me?",
        "¿Es adecuado para mí un programa ambulatorio intensivo?",
    ),
    (
        "sc.intro",
        "Answer a few questions about yourself or someone you care about. Nothing you answer is stored or sent unless you choose to send it to us at the end.",
        "Responda algunas preguntas sobre usted o sobre alguien que le importa. Nada de lo que responda se guarda ni se envía, a menos que usted decida enviárnoslo al final.",
    ),
    (
        "sc.not_diagnosis",
        "This is not a diagnosis. It suggests a starting point that a counselor will confirm with you.",
        "Esto no es un diagnóstico. Sugiere un punto de partida que un consejero confirmará con usted.",
    ),
    (
        "sc.age",
        "Age of the person who needs help",
        "Edad de la persona que necesita ayuda",
    ),
    (
        "sc.substances",
        "Which substances are involved? (choose any)",
        "¿Qué sustancias están involucradas? (elija las que correspondan)",
    ),
    ("sc.s.alcohol", "Alcohol", "Alcohol"),
    (
        "sc.s.opioids",
        "Opioids (fentanyl, heroin, pain pills)",
        "Opioides (fentanilo, heroína, analgésicos)",
    ),
    (
        "sc.s.stimulants",
        "Stimulants (meth, cocaine)",
        "Estimulantes (metanfetamina, cocaína)",
    ),
    ("sc.s.cannabis", "Cannabis", "Cannabis"),
    (
        "sc.s.sedatives",
        "Sedatives (benzodiazepines, sleeping pills)",
        "Sedantes (benzodiacepinas, pastillas para dormir)",
    ),
    ("sc.s.other", "Something else", "Otra"),
    (
        "sc.q.withdrawal",
        "When use stops, what happens to the body?",
        "Cuando se deja de consumir, ¿qué le pasa al cuerpo?",
    ),
    ("sc.a.withdrawal.none", "Nothing much", "Casi nada"),
    (
        "sc.a.withdrawal.mild",
        "Trouble sleeping, irritability",
        "Problemas para dormir, irritabilidad",
    ),
    (
        "sc.a.withdrawal.strong",
        "Shaking, sweating, vomiting, strong cravings",
        "Temblores, sudor, vómitos, ansias fuertes",
    ),
    (
        "sc.a.withdrawal.severe",
        "Seizures, seeing or hearing things, or confusion, now or in the past",
        "Convulsiones, ver u oír cosas, o confusión, ahora o en el pasado",
    ),
    (
        "sc.q.health",
        "How is physical health?",
        "¿Cómo está la salud física?",
    ),
    ("sc.a.health.well", "Generally well", "En general bien"),
    (
        "sc.a.health.managed",
        "Some conditions, under control",
        "Algunas condiciones, bajo control",
    ),
    (
        "sc.a.health.frequent",
        "Problems that need frequent medical care",
        "Problemas que necesitan atención médica frecuente",
    ),
    (
        "sc.a.health.urgent",
        "A problem that needs urgent care now",
        "Un problema que necesita atención urgente ahora",
    ),
    (
        "sc.q.mood",
        "How much do feelings like depression, anxiety or anger get in the way of daily life?",
        "¿Cuánto interfieren sentimientos como depresión, ansiedad o enojo en la vida diaria?",
    ),
    ("sc.a.mood.fine", "Not at all", "Nada"),
    ("sc.a.mood.some", "A little", "Un poco"),
    ("sc.a.mood.a_lot", "A lot", "Mucho"),
    (
        "sc.a.mood.cannot_cope",
        "Coping from day to day is very hard",
        "Es muy difícil sobrellevar el día a día",
    ),
    (
        "sc.q.self_harm",
        "Have there been thoughts of suicide or of self-harm?",
        "¿Ha habido pensamientos de suicidio o de hacerse daño?",
    ),
    ("sc.a.self_harm.never", "No", "No"),
    (
        "sc.a.self_harm.past",
        "In the past, not now",
        "En el pasado, no ahora",
    ),
    (
        "sc.a.self_harm.sometimes",
        "Yes, sometimes lately",
        "Sí, a veces últimamente",
    ),
    (
        "sc.a.self_harm.plan",
        "Yes, with a plan or an intention to act",
        "Sí, con un plan o intención de hacerlo",
    ),
    (
        "sc.q.readiness",
        "How ready is the person to make a change?",
        "¿Qué tan lista está la persona para hacer un cambio?",
    ),
    ("sc.a.readiness.very", "Very ready", "Muy lista"),
    ("sc.a.readiness.somewhat", "Somewhat ready", "Algo lista"),
    ("sc.a.readiness.unsure", "Not sure", "No está segura"),
    (
        "sc.a.readiness.not_ready",
        "Not ready yet",
        "Todavía no está lista",
    ),
    (
        "sc.q.control",
        "When trying to cut down or stop, what happens?",
        "Al intentar reducir o dejar el consumo, ¿qué pasa?",
    ),
    (
        "sc.a.control.in_control",
        "It is possible to stop",
        "Es posible dejarlo",
    ),
    (
        "sc.a.control.sometimes",
        "It sometimes goes further than planned",
        "A veces va más allá de lo planeado",
    ),
    (
        "sc.a.control.often",
        "Often unable to cut down",
        "A menudo no se puede reducir",
    ),
    (
        "sc.a.control.cannot_stop",
        "Cannot stop, even with serious consequences",
        "No se puede parar, aun con consecuencias graves",
    ),
    (
        "sc.q.relapses",
        "After treatment or a sober period, has use started again?",
        "Después de un tratamiento o un período sobrio, ¿se volvió a consumir?",
    ),
    (
        "sc.a.relapses.never_treated",
        "There has been no treatment or sober period yet",
        "Todavía no ha habido tratamiento ni período sobrio",
    ),
    (
        "sc.a.relapses.stayed_sober",
        "No, stayed sober",
        "No, se mantuvo sobrio",
    ),
    ("sc.a.relapses.once", "Once", "Una vez"),
    ("sc.a.relapses.several", "Several times", "Varias veces"),
    (
        "sc.q.past_treatment",
        "Any treatment before?",
        "¿Algún tratamiento antes?",
    ),
    ("sc.a.past_treatment.none", "None", "Ninguno"),
    (
        "sc.a.past_treatment.outpatient",
        "Weekly counseling or outpatient care",
        "Consejería semanal o atención ambulatoria",
    ),
    (
        "sc.a.past_treatment.just_finished",
        "Just finished residential, hospital or detox care",
        "Acaba de terminar un tratamiento residencial, hospitalario o de desintoxicación",
    ),
    (
        "sc.q.duration",
        "For how long has use been a problem?",
        "¿Desde hace cuánto el consumo es un problema?",
    ),
    (
        "sc.a.duration.under_1",
        "Less than a year",
        "Menos de un año",
    ),
    (
        "sc.a.duration.1_to_5",
        "One to five years",
        "De uno a cinco años",
    ),
    (
        "sc.a.duration.over_5",
        "More than five years",
        "Más de cinco años",
    ),
    (
        "sc.q.home",
        "What is home like for recovery?",
        "¿Cómo es el hogar para la recuperación?",
    ),
    ("sc.a.home.supportive", "Supportive", "De apoyo"),
    (
        "sc.a.home.stressful",
        "Some stress, but safe",
        "Algo de estrés, pero seguro",
    ),
    (
        "sc.a.home.conflict",
        "A lot of conflict, or others use there",
        "Mucho conflicto, u otros consumen allí",
    ),
    (
        "sc.a.home.unsafe",
        "Not safe, or no stable place to live",
        "No es seguro, o no hay un lugar estable para vivir",
    ),
    (
        "sc.q.sober_living",
        "Would a sober-living home be possible?",
        "¿Sería posible vivir en una casa de vida sobria?",
    ),
    (
        "sc.q.court",
        "Has a court ordered residential treatment?",
        "¿Un tribunal ordenó tratamiento residencial?",
    ),
    (
        "sc.q.commitments",
        "What must the schedule work around?",
        "¿Alrededor de qué debe organizarse el horario?",
    ),
    (
        "sc.a.commitments.none",
        "Nothing in particular",
        "Nada en particular",
    ),
    ("sc.a.commitments.work", "A job", "Un trabajo"),
    ("sc.a.commitments.school", "School", "La escuela"),
    (
        "sc.a.commitments.children",
        "Caring for children",
        "El cuidado de los niños",
    ),
    ("sc.a.no", "No", "No"),
    ("sc.a.yes", "Yes", "Sí"),
    (
        "sc.submit",
        "See what may fit",
        "Ver qué podría ser adecuado",
    ),
    ("sc.result", "What may fit", "Lo que podría ser adecuado"),
    ("sc.why", "Why this suggestion", "Por qué esta sugerencia"),
    ("sc.week", "What a week looks like", "Cómo es una semana"),
    (
        "sc.danger.title",
        "Your safety comes first",
        "Su seguridad es lo primero",
    ),
    (
        "sc.danger.988",
        "If you or the person you care about may act on thoughts of suicide, call or text 988 (Suicide & Crisis Lifeline), available 24 hours, in English and Spanish.",
        "Si usted o la persona que le importa podría actuar según pensamientos de suicidio, llame o envíe un mensaje de texto al 988 (Línea de Prevención del Suicidio y Crisis), disponible las 24 horas, en inglés y en español.",
    ),
    (
        "sc.danger.911",
        "In immediate danger, or with seizures, confusion or a medical emergency, call 911 or go to the nearest emergency room now.",
        "Ante un peligro inmediato, o con convulsiones, confusión o una emergencia médica, llame al 911 o vaya ahora a la sala de emergencias más cercana.",
    ),
    ("sc.next", "Next step", "Siguiente paso"),
    (
        "sc.next.send",
        "Send these answers to our admissions team, and we will contact you when it is safe to.",
        "Envíe estas respuestas a nuestro equipo de admisiones y nos comunicaremos con usted cuando sea seguro.",
    ),
    (
        "sc.next.call",
        "Or call us: a counselor will talk it through with you.",
        "O llámenos: un consejero lo hablará con usted.",
    ),
    (
        "sc.send",
        "Send my answers with a request for help",
        "Enviar mis respuestas con una solicitud de ayuda",
    ),
    (
        "sc.error",
        "Please choose from the answers offered.",
        "Por favor elija entre las respuestas ofrecidas.",
    ),
    (
        "level.inpatient",
        "Emergency evaluation first",
        "Primero, una evaluación de emergencia",
    ),
    (
        "level.inpatient.what",
        "Some answers suggest a risk to safety today. An emergency evaluation (a hospital or crisis center) comes before any program.",
        "Algunas respuestas sugieren un riesgo para la seguridad hoy. Una evaluación de emergencia (un hospital o centro de crisis) va antes que cualquier programa.",
    ),
    (
        "level.withdrawal_management",
        "Medically supervised withdrawal",
        "Abstinencia con supervisión médica",
    ),
    (
        "level.withdrawal_management.what",
        "Stopping may be dangerous without medical care. A few days of supervised withdrawal (detox) usually come first, then a program like IOP.",
        "Dejar de consumir puede ser peligroso sin atención médica. Por lo general, primero vienen unos días de abstinencia supervisada (desintoxicación) y luego un programa como el ambulatorio intensivo.",
    ),
    (
        "level.residential",
        "Residential treatment",
        "Tratamiento residencial",
    ),
    (
        "level.residential.what",
        "Living at a treatment center for a while gives 24-hour structure and a safe place to start.",
        "Vivir un tiempo en un centro de tratamiento da estructura las 24 horas y un lugar seguro para empezar.",
    ),
    (
        "level.php",
        "Partial hospitalization (PHP)",
        "Hospitalización parcial (PHP)",
    ),
    (
        "level.php.what",
        "Treatment most of the day, five or so days a week, while sleeping at home.",
        "Tratamiento la mayor parte del día, unos cinco días a la semana, durmiendo en casa.",
    ),
    (
        "level.php.week",
        "About 20 or more hours a week: groups, individual sessions and medical care on weekdays.",
        "Unas 20 horas o más por semana: grupos, sesiones individuales y atención médica entre semana.",
    ),
    (
        "level.iop",
        "Intensive outpatient program (IOP)",
        "Programa ambulatorio intensivo (IOP)",
    ),
    (
        "level.iop.what",
        "Treatment several times a week while living at home and keeping up with work, school or family.",
        "Tratamiento varias veces por semana mientras vive en casa y continúa con el trabajo, la escuela o la familia.",
    ),
    (
        "level.iop.week",
        "Usually three sessions of about three hours a week (nine or more hours), often in the evening: group therapy, skills, and individual and family sessions.",
        "Por lo general, tres sesiones de unas tres horas por semana (nueve horas o más), a menudo por la tarde: terapia de grupo, habilidades y sesiones individuales y familiares.",
    ),
    (
        "level.op",
        "Outpatient counseling",
        "Consejería ambulatoria",
    ),
    (
        "level.op.what",
        "Regular counseling, usually once or twice a week.",
        "Consejería regular, por lo general una o dos veces por semana.",
    ),
    (
        "level.op.week",
        "One to a few hours a week of individual or group sessions.",
        "De una a pocas horas por semana de sesiones individuales o de grupo.",
    ),
    (
        "reason.acute_suicide_risk",
        "A high risk of suicide calls for an emergency evaluation for safety today.",
        "Un riesgo alto de suicidio requiere hoy una evaluación de emergencia para su seguridad.",
    ),
    (
        "reason.acute_biomedical",
        "Medical problems are severe enough to need hospital care first.",
        "Los problemas médicos son lo bastante graves como para necesitar primero atención hospitalaria.",
    ),
    (
        "reason.acute_psychiatric",
        "Mental-health symptoms are severe enough to need acute psychiatric care first.",
        "Los síntomas de salud mental son lo bastante graves como para necesitar primero atención psiquiátrica aguda.",
    ),
    (
        "reason.severe_withdrawal_risk",
        "Withdrawal is likely to be severe, so it should be managed with medical monitoring before or alongside treatment.",
        "Es probable que la abstinencia sea grave, así que debe manejarse con supervisión médica antes o durante el tratamiento.",
    ),
    (
        "reason.legal_order",
        "A court or legal order requires residential treatment.",
        "Una orden judicial o legal requiere tratamiento residencial.",
    ),
    (
        "reason.uncontrolled_use",
        "Use is continuing out of control despite consequences, which needs 24-hour structure.",
        "El consumo continúa fuera de control a pesar de las consecuencias, lo que necesita estructura las 24 horas.",
    ),
    (
        "reason.unsafe_environment",
        "The home environment is not safe for recovery and no sober living is available, so residential care gives a safe place to start.",
        "El hogar no es seguro para la recuperación y no hay vivienda sobria disponible, así que la atención residencial ofrece un lugar seguro para empezar.",
    ),
    (
        "reason.moderate_suicide_risk",
        "A moderate risk of suicide calls for daily structure and close monitoring, as partial hospitalization gives.",
        "Un riesgo moderado de suicidio requiere estructura diaria y seguimiento cercano, como el que da la hospitalización parcial.",
    ),
    (
        "reason.psychiatric_instability",
        "Mental-health symptoms are unstable and need daily clinical attention.",
        "Los síntomas de salud mental están inestables y necesitan atención clínica diaria.",
    ),
    (
        "reason.biomedical_complications",
        "Medical complications need daily medical oversight alongside treatment.",
        "Las complicaciones médicas necesitan supervisión médica diaria junto con el tratamiento.",
    ),
    (
        "reason.opioid_use",
        "Opioid use carries a high risk of overdose; structured care several days a week lowers it.",
        "El consumo de opioides conlleva un alto riesgo de sobredosis; la atención estructurada varios días a la semana lo reduce.",
    ),
    (
        "reason.heavy_use_history",
        "A history of heavy use benefits from more than weekly outpatient contact.",
        "Un historial de consumo intenso se beneficia de más contacto que la consulta ambulatoria semanal.",
    ),
    (
        "reason.co_occurring",
        "A co-occurring mental-health condition is best treated together with substance use, several days a week.",
        "Una condición de salud mental simultánea se trata mejor junto con el consumo de sustancias, varios días a la semana.",
    ),
    (
        "reason.repeated_relapse",
        "Repeated relapses suggest that more structure and support are needed than ordinary outpatient care.",
        "Las recaídas repetidas sugieren que se necesita más estructura y apoyo que la atención ambulatoria común.",
    ),
    (
        "reason.failed_lower_level",
        "Ordinary outpatient care has not been enough before.",
        "La atención ambulatoria común no ha sido suficiente antes.",
    ),
    (
        "reason.stepping_down",
        "Stepping down from a more intensive level keeps support in place while independence grows.",
        "Bajar desde un nivel más intensivo mantiene el apoyo mientras crece la independencia.",
    ),
    (
        "reason.relapse_risk",
        "A high risk of relapse calls for frequent sessions to build coping skills.",
        "Un riesgo alto de recaída requiere sesiones frecuentes para desarrollar habilidades de afrontamiento.",
    ),
    (
        "reason.withdrawal_risk",
        "Some withdrawal risk calls for regular monitoring, which intensive outpatient care allows.",
        "Algún riesgo de abstinencia requiere un seguimiento regular, que la atención ambulatoria intensiva permite.",
    ),
    (
        "reason.emotional_risk",
        "Emotional or behavioural difficulties need attention several times a week.",
        "Las dificultades emocionales o de conducta necesitan atención varias veces por semana.",
    ),
    (
        "reason.environment_risk",
        "The home environment makes recovery harder; more frequent support helps.",
        "El hogar hace más difícil la recuperación; un apoyo más frecuente ayuda.",
    ),
    (
        "reason.unsafe_environment_with_sober_living",
        "The home environment is not safe for recovery, but sober living is available, so intensive outpatient care can work from there.",
        "El hogar no es seguro para la recuperación, pero hay vivienda sobria disponible, así que la atención ambulatoria intensiva puede funcionar desde allí.",
    ),
    (
        "reason.no_elevated_risk",
        "No dimension shows elevated risk, so ordinary outpatient care fits.",
        "Ninguna dimensión muestra un riesgo elevado, así que la atención ambulatoria común es adecuada.",
    ),
    (
        "reason.crisis_evaluation",
        "Arrange a same-day crisis evaluation (call 988 or emergency services if in danger).",
        "Organice una evaluación de crisis el mismo día (llame al 988 o a emergencias si hay peligro).",
    ),
    (
        "reason.safety_plan",
        "Write a safety plan with the person before they leave.",
        "Prepare un plan de seguridad con la persona antes de que se vaya.",
    ),
    (
        "reason.mat_evaluation",
        "Offer an evaluation for medication for opioid use disorder (buprenorphine, methadone or naltrexone).",
        "Ofrezca una evaluación para medicamentos para el trastorno por consumo de opioides (buprenorfina, metadona o naltrexona).",
    ),
    (
        "reason.sober_living",
        "Refer to sober living as part of the plan.",
        "Incluya en el plan una derivación a vivienda sobria.",
    ),
    (
        "reason.withdrawal_monitoring",
        "Monitor withdrawal symptoms (CIWA-Ar or COWS) during the first weeks.",
        "Vigile los síntomas de abstinencia (CIWA-Ar o COWS) durante las primeras semanas.",
    ),
    (
        "reason.motivational_enhancement",
        "Use motivational enhancement: readiness to change is low.",
        "Use la entrevista motivacional: la disposición al cambio es baja.",
    ),
    (
        "reason.integrated_mental_health",
        "Provide integrated mental-health care alongside substance-use treatment.",
        "Ofrezca atención de salud mental integrada junto con el tratamiento del consumo de sustancias.",
    ),
    (
        "commitments.evening",
        "Evening and telehealth groups are common, so treatment can fit around work, school or childcare.",
        "Los grupos por la tarde y por video son comunes, así que el tratamiento puede adaptarse al trabajo, la escuela o el cuidado de los niños.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use openiop_core::selfcheck::{QUESTIONS, SUBSTANCES};

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, en, es) in MESSAGES {
            assert!(keys.insert(*key), "duplicate key {key}");
            assert!(!en.is_empty() && !es.is_empty(), "{key}");
        }
        for q in QUESTIONS {
            assert!(keys.contains(q.text), "{}", q.text);
            for (_, label) in q.choices {
                assert!(keys.contains(label), "{label}");
            }
        }
        for (_, label) in SUBSTANCES {
            assert!(keys.contains(label), "{label}");
        }
        for code in openiop_core::placement::default_policy()
            .explanations
            .keys()
        {
            assert!(
                keys.contains(format!("reason.{code}").as_str()),
                "reason.{code}"
            );
        }
        for level in openiop_core::placement::CareLevel::ALL {
            assert!(keys.contains(format!("level.{}", level.as_str()).as_str()));
            assert!(keys.contains(format!("level.{}.what", level.as_str()).as_str()));
        }
    }

    #[test]
    fn language_comes_from_the_query_then_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::choose(None, &h), Lang::En);
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "es-MX,es;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(Lang::choose(None, &h), Lang::Es);
        assert_eq!(Lang::choose(Some("en"), &h), Lang::En);
        assert_eq!(t(Lang::Es, "sc.a.yes"), "Sí");
    }
}
