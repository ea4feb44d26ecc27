"""The notes composer, the notes list with its editor, and the Files tab."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.components.i18n import bidi_text, ltr, t, tf
from crm_app.state.note_edit import NoteEditState
from crm_app.state.notes import NotesState


def _open_picker(upload_id: str) -> rx.event.EventSpec:
    return rx.call_script(f"document.querySelector('#{upload_id} input[type=file]').click()")


def attachment_chip(file: rx.Var, on_remove: rx.EventHandler | None = None) -> rx.Component:
    """Icon, name and size; images show a thumbnail, audio a player; a link to the bytes."""
    remove = (
        rx.icon_button(
            rx.icon("x", size=12),
            size="1",
            variant="ghost",
            type="button",
            on_click=on_remove(file["id"]),
            custom_attrs={"aria-label": "remove", "data-testid": "attachment-remove"},
        )
        if on_remove is not None
        else rx.fragment()
    )
    # A plain anchor: the router must not intercept a file URL. Downloads carry the
    # download attribute; PDFs and audio open in a new tab, inline.
    link = rx.el.a(
        rx.hstack(
            rx.icon(file["icon"], size=14),
            rx.text(file["name"], size="2", class_name="file-name"),
            rx.text(ltr(file["size"]), size="1", color_scheme="gray"),
            spacing="1",
            align="center",
        ),
        href=file["url"],
        target="_blank",  # also keeps the router from intercepting the click
        rel="noopener",
        download=rx.cond(file["opens"] == "download", file["name"], False),  # false: no attribute
        custom_attrs={"data-testid": "attachment"},
        style={"color": "var(--accent-11)", "text_decoration": "none"},
    )
    return rx.vstack(
        rx.cond(
            file["opens"] == "image",
            rx.el.a(
                rx.image(
                    src=file["url"],
                    max_height="96px",
                    max_width="160px",
                    border_radius="var(--radius-2)",
                    alt=file["name"],
                ),
                href=file["url"],
                target="_blank",
                rel="noopener",
            ),
        ),
        rx.cond(
            file["opens"] == "audio", rx.el.audio(src=file["url"], controls=True, preload="none")
        ),
        rx.hstack(link, remove, spacing="1", align="center"),
        spacing="1",
        padding="0.4em",
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-2)",
        max_width="100%",
    )


def camera_button(upload_id: str) -> rx.Component:
    """The phone's camera: a photo taken goes into ``upload_id`` like a picked file.

    ``assets/uploads.js`` hands the camera input's files to the upload's own input.
    """
    camera = f"[data-camera-for={upload_id}]"  # no id: the form would submit it
    return rx.fragment(
        rx.button(
            rx.icon("camera", size=14),
            t("notes.camera"),
            type="button",
            variant="soft",
            on_click=rx.call_script(f"document.querySelector('{camera}').click()"),
            id=f"{upload_id}-camera",
        ),
        rx.el.input(
            type="file",
            accept="image/*",
            display="none",
            tab_index=-1,
            custom_attrs={"capture": "environment", "data-camera-for": upload_id},
        ),
    )


def _per_file_progress(upload_id: str) -> rx.Var:
    """Each file being sent with its own percent, from the bytes sent so far.

    The browser knows the files' sizes (see ``assets/uploads.js``); multipart sends
    them in order, so file *i* is done once the bytes before it and its own are.
    """
    loaded = NotesState.upload_loaded
    return rx.Var(
        "((files, loaded) => { let start = 0; return files.map((f) => {"
        " const done = Math.min(Math.max(loaded - start, 0), f.size); start += f.size;"
        " return {name: f.name, percent: Math.round(100 * done / Math.max(f.size, 1))}; }); })"
        f"(window.__uploadMeta?.['{upload_id}'] ?? [], {loaded})",
        _var_type=list[dict[str, Any]],
        _var_data=loaded._get_all_var_data(),
    )


def _upload_rows() -> rx.Component:
    """One row per file being sent, each with its own progress bar."""
    return rx.cond(
        NotesState.uploading,
        rx.vstack(
            rx.foreach(
                _per_file_progress("note-upload"),
                lambda f: rx.hstack(
                    rx.text(f["name"], size="2", flex="1", min_width="0", truncate=True),
                    rx.progress(value=f["percent"].to(int), width="40%", max_width="12em"),
                    spacing="3",
                    align="center",
                    width="100%",
                    custom_attrs={"data-testid": "upload-progress"},
                ),
            ),
            width="100%",
            spacing="1",
        ),
    )


def composer() -> rx.Component:
    """Text, files (picker, drop or paste) or both; save waits for uploads to finish."""
    box = rx.vstack(
        rx.text_area(
            id="note-text",
            name="text",
            value=NotesState.draft_text,
            on_change=NotesState.set_draft_text,
            debounce_timeout=300,
            placeholder=t("notes.placeholder"),
            width="100%",
            min_height="6em",
            dir="auto",
            custom_attrs={"data-paste-upload": "note-upload"},
        ),
        rx.hstack(
            rx.foreach(
                NotesState.draft_files, lambda f: attachment_chip(f, NotesState.remove_draft_file)
            ),
            wrap="wrap",
            spacing="2",
        ),
        _upload_rows(),
        width="100%",
        spacing="2",
    )
    return rx.form(
        rx.vstack(
            rx.upload.root(
                box,
                custom_attrs={"data-upload-zone": "1", "data-file-label": t("notes.attach_file")},
                id="note-upload",
                multiple=True,
                no_click=True,
                no_keyboard=True,
                disabled=NotesState.uploading,
                border="1px dashed var(--gray-a6)",
                padding="0.75em",
                border_radius="var(--radius-3)",
                width="100%",
                on_drop=[
                    NotesState.begin_upload,
                    NotesState.upload(
                        rx.upload_files(
                            upload_id="note-upload", on_upload_progress=NotesState.upload_progress
                        )
                    ),
                ],
            ),
            rx.hstack(
                rx.button(
                    rx.icon("paperclip", size=14),
                    t("notes.attach"),
                    type="button",
                    variant="soft",
                    on_click=_open_picker("note-upload"),
                    id="note-attach",
                    custom_attrs={"title": t("notes.attach_file")},
                ),
                camera_button("note-upload"),
                rx.text(
                    tf(
                        "notes.limits", mb=NotesState.limits["mb"], files=NotesState.limits["files"]
                    ),
                    size="1",
                    color_scheme="gray",
                ),
                rx.spacer(),
                rx.button(
                    t("notes.save"), type="submit", disabled=~NotesState.can_save, id="note-save"
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                NotesState.composer_error != "",
                rx.callout(
                    NotesState.composer_error, color_scheme="red", id="note-error", width="100%"
                ),
            ),
            width="100%",
            spacing="2",
        ),
        on_submit=NotesState.save_note,
        width="100%",
    )


def _delete_button(note: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(
                rx.icon("trash-2", size=14),
                size="1",
                variant="ghost",
                color_scheme="red",
                custom_attrs={"data-testid": "note-delete"},
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("notes.delete_title")),
            rx.alert_dialog.description(t("notes.delete_body")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("leads.new.cancel"), variant="soft")),
                rx.alert_dialog.action(
                    rx.button(
                        t("notes.delete"),
                        color_scheme="red",
                        on_click=NotesState.delete_note(note["id"]),
                        id="note-delete-confirm",
                    )
                ),
                justify="end",
                spacing="3",
            ),
        ),
    )


def note_editor() -> rx.Component:
    """The open editor: its text, its files (removable) and more files."""
    return rx.form(
        rx.vstack(
            rx.upload.root(
                rx.vstack(
                    rx.text_area(
                        id="edit-note-text",
                        name="text",
                        default_value=NoteEditState.edit_text,
                        width="100%",
                        dir="auto",
                        custom_attrs={"data-paste-upload": "edit-upload"},
                    ),
                    rx.hstack(
                        rx.foreach(
                            NoteEditState.edit_files,
                            lambda f: attachment_chip(f, NoteEditState.remove_edit_file),
                        ),
                        wrap="wrap",
                        spacing="2",
                        id="edit-note-files",
                    ),
                    width="100%",
                ),
                id="edit-upload",
                multiple=True,
                no_click=True,
                no_keyboard=True,
                width="100%",
                on_drop=[
                    NoteEditState.begin_edit_upload,
                    NoteEditState.upload_to_edit(
                        rx.upload_files(
                            upload_id="edit-upload",
                            on_upload_progress=NoteEditState.edit_upload_progress,
                        )
                    ),
                ],
            ),
            rx.hstack(
                rx.button(
                    rx.icon("paperclip", size=14),
                    t("notes.attach"),
                    type="button",
                    variant="soft",
                    on_click=_open_picker("edit-upload"),
                ),
                camera_button("edit-upload"),
                rx.spacer(),
                rx.button(
                    t("leads.new.cancel"),
                    type="button",
                    variant="soft",
                    on_click=NoteEditState.cancel_edit,
                ),
                rx.button(
                    t("notes.save"),
                    type="submit",
                    disabled=NoteEditState.edit_uploading,
                    id="edit-note-save",
                ),
                width="100%",
                wrap="wrap",
            ),
            rx.cond(
                NoteEditState.edit_error != "",
                rx.callout(NoteEditState.edit_error, color_scheme="red", id="edit-note-error"),
            ),
            width="100%",
        ),
        on_submit=NoteEditState.save_edit_note,
        width="100%",
    )


def note_item(note: rx.Var) -> rx.Component:
    """A note: author, time, text (its own direction), files; edit and delete for its author."""
    editing = NoteEditState.editing_id == note["id"]
    header = rx.hstack(
        rx.text(note["author"], weight="medium", size="2"),
        rx.text(note["when"], size="1", color_scheme="gray"),
        rx.cond(note["edited"], rx.text(t("notes.edited"), size="1", color_scheme="gray")),
        rx.cond(note["kind"] == "call_summary", rx.badge(t("timeline.call_summary"))),
        rx.spacer(),
        rx.cond(
            note["can_edit"] & ~editing,
            rx.hstack(
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    size="1",
                    variant="ghost",
                    on_click=NoteEditState.start_edit(note["id"]),
                    custom_attrs={"data-testid": "note-edit"},
                ),
                _delete_button(note),
                spacing="1",
            ),
        ),
        width="100%",
        align="center",
    )
    body = rx.vstack(
        rx.cond(
            note["text"] != "",
            bidi_text(note["runs"], custom_attrs={"data-testid": "note-text"}),
        ),
        rx.hstack(
            rx.foreach(note["files"].to(list[dict[str, str]]), lambda f: attachment_chip(f)),
            wrap="wrap",
            spacing="2",
        ),
        width="100%",
    )
    return rx.card(
        rx.vstack(header, rx.cond(editing, note_editor(), body), width="100%"),
        width="100%",
        custom_attrs={"data-testid": "note", "data-note-id": note["id"]},
    )


def notes_panel() -> rx.Component:
    """The Notes tab."""
    return rx.vstack(
        composer(),
        rx.foreach(NotesState.note_rows, note_item),
        rx.cond(
            NotesState.more_notes,
            rx.button(
                t("notes.more"),
                on_click=NotesState.show_more_notes,
                variant="soft",
                id="notes-more",
            ),
        ),
        rx.cond(NotesState.note_rows.length() == 0, rx.text(t("notes.empty"), color_scheme="gray")),
        width="100%",
        spacing="3",
    )


def files_panel() -> rx.Component:
    """The Files tab: every file of the lead's notes."""
    return rx.cond(
        NotesState.files_tab.length() > 0,
        rx.vstack(
            rx.foreach(
                NotesState.files_tab,
                lambda f: rx.hstack(
                    attachment_chip(f),
                    rx.text(f["when"], size="1", color_scheme="gray"),
                    align="center",
                    spacing="3",
                    custom_attrs={"data-testid": "lead-file"},
                ),
            ),
            spacing="2",
        ),
        rx.text(t("notes.no_files"), color_scheme="gray"),
    )
