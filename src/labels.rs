//! The few words lecturegen itself puts on slides and pages, in the lecture's language.
//!
//! In: a BCP 47 language tag (`ar`, `he-IL`, `fr`). Out: [`Labels`]; English for languages
//! without a translation. Templates get them as `labels.*`; the overlay uses `continued`.

use serde::Serialize;

/// Words of the interface, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Labels {
    /// Heading of the slide-by-slide text under the video.
    pub transcript: &'static str,
    /// The chapter list and the chapters track.
    pub chapters: &'static str,
    /// Link to a slide's picture.
    pub slide_picture: &'static str,
    /// The speaker notes' aside.
    pub speaker_notes: &'static str,
    /// Fallback link for browsers that cannot play the video.
    pub download: &'static str,
    /// The link to the lecture's PDF handout.
    pub handout: &'static str,
    /// Slides, as in "12 slides".
    pub slides: &'static str,
    /// Appended to the title of follow-on pages of a slide too long for one.
    pub continued: &'static str,
    /// Said for a code block on a slide without notes.
    pub code_cue: &'static str,
    /// Said for a table on a slide without notes.
    pub table_cue: &'static str,
    /// The captions track.
    pub captions: &'static str,
    /// Title of the slide made of what comes before a lecture's first section.
    pub introduction: &'static str,
}

const EN: Labels = Labels {
    transcript: "Transcript",
    chapters: "Chapters",
    slide_picture: "slide picture",
    speaker_notes: "Speaker notes",
    download: "Download the video",
    handout: "Handout (PDF)",
    slides: "slides",
    continued: "(cont.)",
    code_cue: "Here is some code.",
    table_cue: "Here is a table.",
    captions: "Captions",
    introduction: "Introduction",
};

/// The labels for `lang` (its primary subtag), English when there is no translation.
pub fn for_lang(lang: &str) -> Labels {
    let primary = lang
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match primary.as_str() {
        "ar" => Labels {
            transcript: "النص الكامل",
            chapters: "الفصول",
            slide_picture: "صورة الشريحة",
            speaker_notes: "ملاحظات المحاضر",
            download: "تنزيل الفيديو",
            handout: "مطبوعة المحاضرة (PDF)",
            slides: "شرائح",
            continued: "(تابع)",
            code_cue: "هذا مثال من الشيفرة.",
            table_cue: "هذا جدول.",
            captions: "الترجمة النصية",
            introduction: "مقدمة",
        },
        "he" => Labels {
            transcript: "תמליל",
            chapters: "פרקים",
            slide_picture: "תמונת השקף",
            speaker_notes: "הערות המרצה",
            download: "הורדת הסרטון",
            handout: "דף ההרצאה (PDF)",
            slides: "שקפים",
            continued: "(המשך)",
            code_cue: "הנה קוד.",
            table_cue: "הנה טבלה.",
            captions: "כתוביות",
            introduction: "מבוא",
        },
        "fr" => Labels {
            transcript: "Transcription",
            chapters: "Chapitres",
            slide_picture: "image de la diapositive",
            speaker_notes: "Notes de l'orateur",
            download: "Télécharger la vidéo",
            handout: "Polycopié (PDF)",
            slides: "diapositives",
            continued: "(suite)",
            code_cue: "Voici du code.",
            table_cue: "Voici un tableau.",
            captions: "Sous-titres",
            introduction: "Introduction",
        },
        "de" => Labels {
            transcript: "Mitschrift",
            chapters: "Kapitel",
            slide_picture: "Folienbild",
            speaker_notes: "Vortragsnotizen",
            download: "Video herunterladen",
            handout: "Handout (PDF)",
            slides: "Folien",
            continued: "(Forts.)",
            code_cue: "Hier ist etwas Code.",
            table_cue: "Hier ist eine Tabelle.",
            captions: "Untertitel",
            introduction: "Einführung",
        },
        "es" => Labels {
            transcript: "Transcripción",
            chapters: "Capítulos",
            slide_picture: "imagen de la diapositiva",
            speaker_notes: "Notas del ponente",
            download: "Descargar el vídeo",
            handout: "Apuntes (PDF)",
            slides: "diapositivas",
            continued: "(cont.)",
            code_cue: "Aquí hay un ejemplo de código.",
            table_cue: "Aquí hay una tabla.",
            captions: "Subtítulos",
            introduction: "Introducción",
        },
        _ => EN,
    }
}
