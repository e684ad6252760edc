using System.Text;
using System.Text.RegularExpressions;

namespace XraySyslogSink.Tests.Docs;

/// <summary>The links and heading anchors of a Markdown page, as GitHub renders them (code is not Markdown).</summary>
internal static partial class MarkdownLinks
{
    /// <summary>Targets of inline links and images (<c>[text](target)</c>), outside fenced code blocks and code spans.</summary>
    public static List<string> Targets(string markdown)
    {
        var targets = new List<string>();
        foreach (string line in Prose(markdown))
        {
            foreach (Match link in InlineLink().Matches(CodeSpan().Replace(line, string.Empty)))
            {
                targets.Add(link.Groups["target"].Value);
            }
        }

        return targets;
    }

    /// <summary>Repository paths named in code spans outside fenced blocks (<c>`scripts/test.sh`</c>); spans with spaces, wildcards or an elision (…) are not paths.</summary>
    public static List<string> CodePaths(string markdown)
    {
        var paths = new List<string>();
        foreach (string line in Prose(markdown))
        {
            foreach (Match span in CodeSpan().Matches(line))
            {
                string code = span.Value[1..^1];
                if (RepositoryPath().IsMatch(code))
                {
                    paths.Add(code);
                }
            }
        }

        return paths;
    }

    /// <summary>The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    public static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string line in Prose(markdown))
        {
            Match heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            string slug = Slug(heading.Groups["title"].Value);
            int count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }

        return anchors;
    }

    public static string Slug(string title)
    {
        var slug = new StringBuilder(title.Length);
        foreach (char c in title.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    /// <summary>The page's lines outside fenced code blocks.</summary>
    private static IEnumerable<string> Prose(string markdown)
    {
        bool inFence = false;
        foreach (string line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            if (!inFence)
            {
                yield return line;
            }
        }
    }

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^(scripts|config|src|tests|docs)/[^\s*<>…]+$")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex(@"^#{1,6}\s+(?<title>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
