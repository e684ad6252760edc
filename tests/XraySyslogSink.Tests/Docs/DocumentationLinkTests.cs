using System.Diagnostics;

namespace XraySyslogSink.Tests.Docs;

/// <summary>
/// The documentation stays inside the repository: every relative link of every Markdown page resolves to a file or
/// folder of the repository (and to a heading, when it names one), and no file links to a place outside it.
/// </summary>
public sealed class DocumentationLinkTests
{
    private static readonly string Root = Repository.Root;

    // Spelled in pieces so that this file does not contain what it looks for.
    private static readonly string[] OutsideReferences = ["../" + "shared", "shared" + "/seed/", "shared" + "/reference/", "/" + "work" + "/"];

    [Fact]
    public void Every_relative_link_of_every_markdown_page_resolves_inside_the_repository()
    {
        List<string> pages = RepositoryFiles().Where(f => f.EndsWith(".md", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Contains("README.md", pages);
        Assert.Contains("docs/README.md", pages);

        var broken = new List<string>();
        int checkedLinks = 0;
        foreach (string page in pages)
        {
            foreach (string target in MarkdownLinks.Targets(File.ReadAllText(Path.Combine(Root, page))))
            {
                if (IsExternal(target))
                {
                    continue;
                }

                checkedLinks++;
                string? problem = Problem(page, target);
                if (problem is not null)
                {
                    broken.Add($"{page}: ({target}) {problem}");
                }
            }
        }

        Assert.Equal([], broken);
        Assert.True(checkedLinks > 50, $"only {checkedLinks} relative links found: is the link reader still finding links?");
    }

    [Fact]
    public void Every_repository_path_a_page_names_in_code_exists()
    {
        var missing = new List<string>();
        int named = 0;
        foreach (string page in RepositoryFiles().Where(f => f == "README.md" || (f.StartsWith("docs/", StringComparison.Ordinal) && f.EndsWith(".md", StringComparison.Ordinal))))
        {
            foreach (string path in MarkdownLinks.CodePaths(File.ReadAllText(Path.Combine(Root, page))))
            {
                named++;
                string full = Path.Combine(Root, path);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    missing.Add($"{page}: `{path}`");
                }
            }
        }

        Assert.Equal([], missing);
        Assert.True(named > 10, $"only {named} paths found in code spans: is the reader still finding them?");
    }

    [Fact]
    public void No_file_of_the_repository_refers_to_a_path_outside_it()
    {
        var hits = new List<string>();
        foreach (string file in RepositoryFiles())
        {
            string path = Path.Combine(Root, file);
            if (!File.Exists(path) || IsBinary(path))
            {
                continue;
            }

            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                foreach (string outside in OutsideReferences.Where(o => lines[i].Contains(o, StringComparison.Ordinal)))
                {
                    hits.Add($"{file}:{i + 1}: {outside}");
                }
            }
        }

        Assert.Equal([], hits);
    }

    [Fact]
    public void The_readme_is_a_short_page_that_reaches_every_docs_page_through_the_index()
    {
        Assert.True(new FileInfo(Path.Combine(Root, "README.md")).Length < 10_000, "README.md stays a five-minute page; details go to docs/");

        string index = File.ReadAllText(Path.Combine(Root, "docs", "README.md"));
        HashSet<string> linked = MarkdownLinks.Targets(index).Select(t => t.Split('#')[0]).ToHashSet(StringComparer.Ordinal);
        string[] unlisted = Directory.GetFiles(Path.Combine(Root, "docs"), "*.md")
            .Select(Path.GetFileName)
            .Where(name => name != "README.md" && !linked.Contains(name!))
            .Select(name => name!)
            .ToArray();
        Assert.Equal([], unlisted);
        Assert.Contains("docs/README.md", MarkdownLinks.Targets(File.ReadAllText(Path.Combine(Root, "README.md"))));
    }

    [Fact]
    public void The_link_reader_finds_links_and_anchors_as_github_renders_them()
    {
        const string Page = """
            # Title
            See [the guide](docs/guide.md#the-schemaforeignkeysfalse-profile) and ![a picture](img/a.png "caption").
            Not a link: `[x](inside-code.md)`.
            ```
            [y](inside-fence.md)
            ## Not a heading
            ```
            ## The `Schema:ForeignKeys=false` profile
            ## Panels' email conventions
            ## Panels' email conventions
            """;

        Assert.Equal(["docs/guide.md#the-schemaforeignkeysfalse-profile", "img/a.png"], MarkdownLinks.Targets(Page));
        Assert.Equal(["scripts/test.sh", "config/rsyslog/"], MarkdownLinks.CodePaths(
            "Run `scripts/test.sh`, not `scripts/bench.sh --rss-10m`; see `config/rsyslog/`, `config/rsyslog/*.conf`, `tests/…/Fixtures/`, `Spool:Directory`."));
        Assert.Equal(
            new HashSet<string>(["title", "the-schemaforeignkeysfalse-profile", "panels-email-conventions", "panels-email-conventions-1"]),
            MarkdownLinks.Anchors(Page));
    }

    [Fact]
    public void A_missing_file_a_missing_anchor_and_a_way_out_of_the_repository_are_each_reported()
    {
        Assert.Equal("no such file or folder", Problem("docs/README.md", "nowhere.md"));
        Assert.Equal("no heading for #no-such-heading", Problem("docs/README.md", "schema.md#no-such-heading"));
        Assert.Equal("leaves the repository", Problem("docs/README.md", "../../outside.md"));
        Assert.Null(Problem("docs/README.md", "schema.md#functions"));
        Assert.Null(Problem("docs/README.md", "../config/rsyslog/"));
    }

    /// <summary>What is wrong with <paramref name="target"/> as a link from <paramref name="page"/>; null when it resolves.</summary>
    private static string? Problem(string page, string target)
    {
        string[] parts = target.Split('#', 2);
        string pagePath = Path.Combine(Root, page);
        string resolved = parts[0].Length == 0
            ? pagePath
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(pagePath)!, Uri.UnescapeDataString(parts[0])));

        if (!resolved.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && resolved != Root)
        {
            return "leaves the repository";
        }

        if (!File.Exists(resolved) && !Directory.Exists(resolved))
        {
            return "no such file or folder";
        }

        if (parts.Length == 2 && resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
            && !MarkdownLinks.Anchors(File.ReadAllText(resolved)).Contains(parts[1]))
        {
            return $"no heading for #{parts[1]}";
        }

        return null;
    }

    private static bool IsExternal(string target) =>
        target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase);

    private static bool IsBinary(string path)
    {
        using FileStream stream = File.OpenRead(path);
        var head = new byte[8000];
        int read = stream.Read(head, 0, head.Length);
        return Array.IndexOf(head, (byte)0, 0, read) >= 0;
    }

    /// <summary>Tracked files plus new ones git does not ignore, relative to the root with '/' separators.</summary>
    private static List<string> RepositoryFiles()
    {
        var git = new ProcessStartInfo("git", "ls-files -z --cached --others --exclude-standard")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(git) ?? throw new InvalidOperationException("git did not start");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
    }
}
