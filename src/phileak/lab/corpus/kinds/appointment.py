"""Appointment confirmations (an e-mail's text) and online booking-form submissions (labelled fields)."""

from __future__ import annotations

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.kinds.common import C, Context, Patient, any_date, long_date, phone_as_written
from phileak.lab.corpus.model import Kind, LabelledDoc

_CLINICS = ("Northwind Health", "Bayside Family Medicine", "Cedar Valley Clinic")
_CLINICS_FR = ("Centre médical des Tilleuls", "Cabinet médical Atlantique", "Maison de santé Saint-Roch")
_SPECIALTIES = (("Cardiology", "Cardiologie"), ("Endocrinology", "Endocrinologie"), ("Infectious diseases",
                "Maladies infectieuses"), ("Psychiatry", "Psychiatrie"), ("Oncology", "Oncologie"))  # fmt: skip


def build(ctx: Context, patient: Patient) -> LabelledDoc:
    if ctx.rng.random() < 0.35:
        return _form(ctx, patient)
    return _email(ctx, patient)


def _email(ctx: Context, patient: Patient) -> LabelledDoc:
    person, rng, lang = patient.person, ctx.rng, ctx.language
    doc = DocBuilder(ctx.doc_id, Kind.APPOINTMENT, lang, "text")
    specialty = rng.choice(_SPECIALTIES)
    condition = patient.conditions[0]
    time = f"{rng.randrange(8, 18)}:{rng.choice(('00', '15', '30', '45'))}"
    if ctx.fr:
        doc.segment(Text().fill("Objet : confirmation de votre rendez-vous - {clinic}", clinic=rng.choice(_CLINICS_FR)))
        doc.segment(Text().fill("Bonjour {name},", name=(person.full_name, C.PERSON_NAME)))
        doc.segment(
            Text().fill(
                "Votre rendez-vous en {spec} avec le Dr {doctor} est confirmé pour le {day} à {time}.",
                spec=specialty[1],
                doctor=(patient.provider.full_name, C.PROVIDER_NAME),
                day=(long_date(ctx.day, lang), C.DATE),
                time=time,
            )
        )
        doc.segment(
            Text().fill("Motif de consultation : suivi de votre {cond}.", cond=(condition.fr, C.HEALTH_CONDITION))
        )
        doc.segment(
            Text().fill(
                "Adresse enregistrée : {address}. Nous vous contacterons au {phone} ou à {email} en cas de changement.",
                address=(person.address, C.ADDRESS),
                phone=(phone_as_written(person, rng), C.PHONE),
                email=(person.email, C.EMAIL),
            )
        )
        doc.segment(Text().add("Merci d'apporter votre carte Vitale et vos ordonnances en cours."))
    else:
        doc.segment(Text().fill("Subject: Your appointment is confirmed - {clinic}", clinic=rng.choice(_CLINICS)))
        doc.segment(Text().fill("Dear {name},", name=(person.full_name, C.PERSON_NAME)))
        doc.segment(
            Text().fill(
                "Your {spec} appointment with Dr. {doctor} is confirmed for {day} at {time}.",
                spec=specialty[0],
                doctor=(patient.provider.full_name, C.PROVIDER_NAME),
                day=(long_date(ctx.day, lang), C.DATE),
                time=time,
            )
        )
        doc.segment(Text().fill("Reason for visit: follow-up of your {cond}.", cond=(condition.en, C.HEALTH_CONDITION)))
        doc.segment(
            Text().fill(
                "Address on file: {address}. We will call you at {phone} or write to {email} if anything changes.",
                address=(person.address, C.ADDRESS),
                phone=(phone_as_written(person, rng), C.PHONE),
                email=(person.email, C.EMAIL),
            )
        )
        doc.segment(Text().add("Please bring your insurance card and a list of your current medications."))
    doc.file_name(Text().add(f"mail/{ctx.day.isoformat()}/confirmation-{ctx.number:06d}.txt"))
    return doc.build((person.pid,), phi=True)


_FORM_LABELS = {
    "en": ("first_name", "last_name", "dob", "email", "phone", "reason", "preferred_date"),
    "fr": ("prenom", "nom", "date_naissance", "courriel", "telephone", "motif", "date_souhaitee"),
}


def _form(ctx: Context, patient: Patient) -> LabelledDoc:
    """A booking form as posted: one labelled segment per field (names as sites use them)."""
    person, rng, lang = patient.person, ctx.rng, ctx.language
    doc = DocBuilder(ctx.doc_id, Kind.APPOINTMENT, lang, "form")
    first, last, dob, email, phone, reason, preferred = _FORM_LABELS[lang]
    condition = patient.conditions[0]
    doc.field(first, person.given, C.PERSON_NAME)
    doc.field(last, person.family, C.PERSON_NAME)
    doc.field(dob, any_date(person.birth_date, lang, rng), C.DATE_OF_BIRTH)
    doc.field(email, person.email, C.EMAIL)
    doc.field(phone, phone_as_written(person, rng), C.PHONE)
    doc.field(reason, condition.fr if ctx.fr else condition.en, C.HEALTH_CONDITION)
    doc.field(preferred, ctx.day.isoformat(), C.DATE)
    doc.file_name(Text().add(f"forms/booking-{ctx.number:06d}.json"))
    return doc.build((person.pid,), phi=True)
