//! Small line icons as inline SVG, so they look the same on every system (emoji and symbol
//! fonts vary, and headless machines often have none).

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    File,
    Folder,
    FolderOpen,
    Other,
    NewFile,
    NewFolder,
    Refresh,
    Rename,
    Download,
    Delete,
}

impl Icon {
    fn path(self) -> &'static str {
        match self {
            Icon::File => "M5 2h7l4 4v12H5z M12 2v4h4",
            Icon::Folder => "M2 5h6l2 2h8v9H2z",
            Icon::FolderOpen => "M2 5h6l2 2h7v2 M2 5v11h13l3-7H5l-3 7",
            Icon::Other => "M10 3l7 7-7 7-7-7z",
            Icon::NewFile => "M5 2h7l4 4v12H5z M12 2v4h4 M10.5 9v6 M7.5 12h6",
            Icon::NewFolder => "M2 5h6l2 2h8v9H2z M10 9v5 M7.5 11.5h5",
            Icon::Refresh => "M16 10a6 6 0 1 1-2-4.5 M16 3v4h-4",
            Icon::Rename => "M4 16l1-4 8.5-8.5 3 3L8 15z M12 5l3 3",
            Icon::Download => "M10 3v10 M6 9l4 4 4-4 M4 17h12",
            Icon::Delete => "M4 6h12 M8 6V3.5h4V6 M5.5 6l1 11h7l1-11",
        }
    }
}

#[component]
pub fn Svg(icon: Icon) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 20 20" width="16" height="16" aria-hidden="true"
            fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round">
            <path d=icon.path() />
        </svg>
    }
}
