using XraySyslogSink.Core;

namespace XraySyslogSink.Nodes;

internal sealed class NodeOptionsValidator() : SectionValidator<NodeOptions>(NodeOptions.SectionName)
{
    protected override void ValidateMore(NodeOptions options, List<string> failures)
    {
        NodeIdentityResolver.Create(options, failures);
        RequirePositive(options.SilentAfter, nameof(options.SilentAfter), failures);
    }
}
