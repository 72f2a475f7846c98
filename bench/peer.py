"""Setup for the peer comparison (bench/peer.sh): the same small program in GNU Health and in
OpenIOP (patients to read and book, appointments on one day), through each one's own API.
Prints what the load scripts need as JSON. Standard library only."""
import base64, json, sys, urllib.request


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as answer:
        return json.load(answer)


def gnuhealth(url, password, patients, day):
    def call(method, params, auth=None):
        answer = post(url, {"id": 0, "method": method, "params": params},
                      {"authorization": auth} if auth else {})
        if "error" in answer:
            raise SystemExit(f"{method}: {answer['error']}")
        return answer["result"]
    uid, key = call("common.db.login", ["admin", {"password": password}, "en"])
    auth = "Session " + base64.b64encode(f"admin:{uid}:{key}".encode()).decode()
    prefs = call("model.res.user.get_preferences", [True, {}], auth)
    ctx = {k: prefs[k] for k in ("company", "language", "employee") if k in prefs}
    ids = []
    for n in range(patients):
        party = call("model.party.party.create", [[{
            "name": "Bench", "lastname": f"Peer {n}", "is_person": True, "is_patient": True,
            "gender": "f", "fed_country": None,
            "dob": {"__class__": "date", "year": 1990, "month": 1, "day": 1}}], ctx], auth)[0]
        ids.append(call("model.gnuhealth.patient.create", [[{"party": party}], ctx], auth)[0])
    y, m, d = map(int, day.split("-"))
    for n, patient in enumerate(ids[:50]):
        at = {"__class__": "datetime", "year": y, "month": m, "day": d, "hour": 8 + n // 6,
              "minute": (n % 6) * 10, "second": 0, "microsecond": 0}
        call("model.gnuhealth.appointment.create",
             [[{"patient": patient, "appointment_date": at, "state": "confirmed"}], ctx], auth)
    return {"auth": auth, "context": json.dumps(ctx), "patients": ids}


def openiop(base, token, patients, day):
    auth = {"authorization": f"Bearer {token}"}
    call = lambda path, body: post(base + path, body, auth)
    site = call("/api/v1/sites", {"name": "Peer", "time_zone": "UTC"})["id"]
    track = call("/api/v1/tracks", {"site_id": site, "name": "Day IOP", "level": "iop",
                                    "target_hours": 9, "min_days": 3, "age_group": "adult"})["id"]
    clinician = call("/api/v1/users", {"username": "peer-clinician", "password": "Peer-Clinician-Pass-1",
                                       "role": "clinician"})["id"]
    ids = []
    for n in range(patients):
        p = call("/api/v1/patients", {"given_name": "Bench", "family_name": f"Peer {n}",
                                      "birth_date": "1990-01-01"})["id"]
        call(f"/api/v1/patients/{p}/episodes", {"track_id": track, "admitted_on": "2026-11-02"})
        ids.append(p)
    for n, patient in enumerate(ids[:50]):
        start = f"{day}T{8 + n // 6:02d}:{(n % 6) * 10:02d}:00Z"
        end = f"{day}T{8 + n // 6:02d}:{(n % 6) * 10 + 9:02d}:00Z"
        call("/api/v1/appointments", {"patient_id": patient, "clinician_id": clinician,
                                      "kind": "individual", "starts_at": start, "ends_at": end})
    return {"patients": ids, "clinician": clinician}


if __name__ == "__main__":
    kind, target, secret, patients, day = sys.argv[1:6]
    setup = gnuhealth if kind == "gnuhealth" else openiop
    print(json.dumps(setup(target, secret, int(patients), day)))
