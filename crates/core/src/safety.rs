//! The safety plan (the standard six steps plus reasons for living) and the
//! relapse-prevention plan: what they hold and what makes one complete enough to save.

use serde::{Deserialize, Serialize};

use crate::validate::{FieldError, Invalid};

/// Someone to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

/// The 988 Suicide & Crisis Lifeline, always among a safety plan's professionals.
pub fn lifeline() -> Contact {
    Contact {
        name: "988 Suicide & Crisis Lifeline (call or text)".into(),
        phone: "988".into(),
    }
}

/// The safety plan, in the order of its six steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyPlan {
    /// Step 1: warning signs that a crisis may be developing.
    pub warning_signs: Vec<String>,
    /// Step 2: internal coping strategies.
    pub internal_coping: Vec<String>,
    /// Step 3: people and social settings that provide distraction.
    pub distractions: Vec<String>,
    /// Step 4: people to ask for help.
    pub help_contacts: Vec<Contact>,
    /// Step 5: professionals and agencies to contact in a crisis (988 is always added).
    pub professionals: Vec<Contact>,
    /// Step 6: making the environment safe (means restriction).
    pub environment: Vec<String>,
    /// What makes life worth living.
    pub reasons_for_living: Vec<String>,
}

/// The relapse-prevention plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelapsePlan {
    pub trigger_people: Vec<String>,
    pub trigger_places: Vec<String>,
    pub trigger_feelings: Vec<String>,
    pub trigger_times: Vec<String>,
    pub warning_signs: Vec<String>,
    pub coping: Vec<String>,
    pub support_contacts: Vec<Contact>,
    /// What to do when a craving hits.
    pub craving_plan: String,
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: String, message: &str) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    fn text(&mut self, field: String, text: &str, max: usize) -> String {
        let trimmed = text.trim();
        if trimmed.chars().count() > max {
            self.fail(field, "is too long");
        } else if trimmed.chars().any(|c| c.is_control() && c != '\n') {
            self.fail(field, "must not contain control characters");
        }
        trimmed.to_owned()
    }

    /// A list of short items; blanks dropped; `required` lists need at least one.
    fn items(&mut self, field: &str, items: &[String], required: bool) -> Vec<String> {
        if items.len() > 20 {
            self.fail(field.into(), "at most 20 items");
        }
        let out: Vec<String> = items
            .iter()
            .enumerate()
            .map(|(i, t)| self.text(format!("{field}[{i}]"), t, 300))
            .filter(|t| !t.is_empty())
            .collect();
        if required && out.is_empty() {
            self.fail(field.into(), "needs at least one entry");
        }
        out
    }

    fn contacts(&mut self, field: &str, contacts: &[Contact], required: bool) -> Vec<Contact> {
        if contacts.len() > 20 {
            self.fail(field.into(), "at most 20 contacts");
        }
        let mut out = Vec::new();
        for (i, c) in contacts.iter().enumerate() {
            let name = self.text(format!("{field}[{i}].name"), &c.name, 120);
            let phone = self.text(format!("{field}[{i}].phone"), &c.phone, 40);
            if name.is_empty() {
                self.fail(format!("{field}[{i}].name"), "is required");
            }
            if !phone.chars().any(|c| c.is_ascii_digit()) {
                self.fail(format!("{field}[{i}].phone"), "must be a phone number");
            }
            out.push(Contact { name, phone });
        }
        if required && out.is_empty() {
            self.fail(field.into(), "needs at least one contact");
        }
        out
    }

    fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(Invalid(self.errors))
        }
    }
}

impl SafetyPlan {
    /// Checks a plan: warning signs, coping, someone to ask for help and the environment
    /// step are required; 988 is added to the professionals when missing.
    pub fn checked(&self) -> Result<SafetyPlan, Invalid> {
        let mut c = Checker { errors: Vec::new() };
        let mut professionals = c.contacts("professionals", &self.professionals, false);
        if !professionals.iter().any(|p| p.phone.trim() == "988") {
            professionals.push(lifeline());
        }
        let plan = SafetyPlan {
            warning_signs: c.items("warning_signs", &self.warning_signs, true),
            internal_coping: c.items("internal_coping", &self.internal_coping, true),
            distractions: c.items("distractions", &self.distractions, false),
            help_contacts: c.contacts("help_contacts", &self.help_contacts, true),
            professionals,
            environment: c.items("environment", &self.environment, true),
            reasons_for_living: c.items("reasons_for_living", &self.reasons_for_living, false),
        };
        c.finish(plan)
    }
}

impl RelapsePlan {
    /// Checks a plan: at least one trigger, one coping strategy and a craving plan.
    pub fn checked(&self) -> Result<RelapsePlan, Invalid> {
        let mut c = Checker { errors: Vec::new() };
        let plan = RelapsePlan {
            trigger_people: c.items("trigger_people", &self.trigger_people, false),
            trigger_places: c.items("trigger_places", &self.trigger_places, false),
            trigger_feelings: c.items("trigger_feelings", &self.trigger_feelings, false),
            trigger_times: c.items("trigger_times", &self.trigger_times, false),
            warning_signs: c.items("warning_signs", &self.warning_signs, false),
            coping: c.items("coping", &self.coping, true),
            support_contacts: c.contacts("support_contacts", &self.support_contacts, false),
            craving_plan: c.text("craving_plan".into(), &self.craving_plan, 2000),
        };
        if plan.trigger_people.is_empty()
            && plan.trigger_places.is_empty()
            && plan.trigger_feelings.is_empty()
            && plan.trigger_times.is_empty()
        {
            c.fail(
                "trigger_people".into(),
                "name at least one trigger (people, places, feelings or times)",
            );
        }
        if plan.craving_plan.is_empty() {
            c.fail("craving_plan".into(), "say what to do when a craving hits");
        }
        c.finish(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: &str, phone: &str) -> Contact {
        Contact {
            name: name.into(),
            phone: phone.into(),
        }
    }

    fn safety() -> SafetyPlan {
        SafetyPlan {
            warning_signs: vec!["Not sleeping".into(), "  ".into()],
            internal_coping: vec!["Walk the dog".into()],
            distractions: vec![],
            help_contacts: vec![contact("Sister", "+1 555 0100")],
            professionals: vec![],
            environment: vec!["Medications locked with my sister".into()],
            reasons_for_living: vec!["My kids".into()],
        }
    }

    #[test]
    fn a_safety_plan_always_lists_988() {
        let plan = safety().checked().unwrap();
        assert_eq!(plan.warning_signs, ["Not sleeping"], "blanks are dropped");
        assert_eq!(plan.professionals, [lifeline()]);
        let mut with = safety();
        with.professionals = vec![contact("Crisis line", "988")];
        assert_eq!(with.checked().unwrap().professionals.len(), 1);
    }

    #[test]
    fn a_safety_plan_needs_its_core_steps() {
        let mut plan = safety();
        plan.warning_signs = vec![];
        plan.help_contacts = vec![contact("", "none")];
        plan.environment = vec![];
        let err = plan.checked().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "warning_signs",
                "help_contacts[0].name",
                "help_contacts[0].phone",
                "environment"
            ]
        );
    }

    #[test]
    fn a_relapse_plan_needs_a_trigger_coping_and_a_craving_plan() {
        let plan = RelapsePlan {
            trigger_people: vec![],
            trigger_places: vec!["The bar on 5th".into()],
            trigger_feelings: vec![],
            trigger_times: vec![],
            warning_signs: vec![],
            coping: vec!["Call my sponsor".into()],
            support_contacts: vec![contact("Sponsor", "555 0101")],
            craving_plan: "Urge-surf for 20 minutes, then call".into(),
        };
        assert!(plan.checked().is_ok());
        let mut empty = plan.clone();
        empty.trigger_places = vec![];
        empty.craving_plan = " ".into();
        empty.coping = vec![];
        let fields: Vec<String> = empty
            .checked()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["coping", "trigger_people", "craving_plan"]);
    }
}
