using XraySyslogSink.Core;

namespace XraySyslogSink.Hosting;

/// <summary>A boolean binds or the start stops with the configuration binder's message: nothing more to check.</summary>
internal sealed class RuntimeOptionsValidator() : SectionValidator<RuntimeOptions>(RuntimeOptions.SectionName);
