//! Report model and renderers (text, JSON, SARIF, JUnit, Markdown, HTML).
