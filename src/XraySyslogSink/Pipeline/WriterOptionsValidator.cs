using XraySyslogSink.Core;

namespace XraySyslogSink.Pipeline;

internal sealed class WriterOptionsValidator() : SectionValidator<WriterOptions>(WriterOptions.SectionName)
{
    protected override void ValidateMore(WriterOptions options, List<string> failures)
    {
        RequirePositive(options.FlushInterval, nameof(options.FlushInterval), failures);
        RequirePositive(options.RetryInitialDelay, nameof(options.RetryInitialDelay), failures);
        RequirePositive(options.RetryMaxDelay, nameof(options.RetryMaxDelay), failures);
    }
}
