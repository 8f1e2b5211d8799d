using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace NotificationHub.Server.Demo;

/// <summary>
/// Serves the demo page (the BOM detail page of <c>clients/typescript/demo</c>) at <c>/</c>. The bundle is built by
/// the server project's MSBuild step into <c>wwwroot/</c> and copied next to the dll; it is looked up in the content
/// root first (<c>dotnet run</c>), then beside the assembly (the built dll run from anywhere).
/// </summary>
public static class DemoPageEndpoints
{
    /// <summary>The bundle's folder name.</summary>
    public const string BundleFolder = "wwwroot";

    /// <summary>Answer of <c>/</c> when no bundle was built (npm missing, or <c>-p:SkipDemoBuild=true</c>).</summary>
    public const string MissingBundlePage =
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>NotificationHub</title></head><body>" +
        "<h1>NotificationHub</h1><p>The demo page was not built: install Node.js (20.19 or newer, with npm) and build the " +
        "server again, or run <code>npm ci &amp;&amp; npm run build:demo</code> in <code>clients/typescript</code>.</p>" +
        "<p>The API is up: see <code>docs/protocol.md</code>.</p></body></html>";

    /// <summary>The folder holding the bundle's <c>index.html</c>, or null.</summary>
    public static string? FindBundle(IHostEnvironment environment)
    {
        foreach (var root in new[] { environment.ContentRootPath, AppContext.BaseDirectory })
        {
            var folder = Path.Combine(root, BundleFolder);
            if (File.Exists(Path.Combine(folder, "index.html")))
            {
                return folder;
            }
        }

        return null;
    }

    /// <summary>
    /// Serves the bundle's files and <c>index.html</c> at <c>/</c>; without a bundle, <c>/</c> answers a page saying how
    /// to build it. Call before authentication: the page and its assets are public (the API is not).
    /// </summary>
    public static WebApplication UseDemoPage(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoPageEndpoints).FullName!);
        var folder = FindBundle(app.Environment);
        if (folder is null)
        {
            DemoLog.BundleMissing(logger);
            app.MapGet("/", () => TypedResults.Content(MissingBundlePage, "text/html; charset=utf-8")).ExcludeFromDescription();
            return app;
        }

        DemoLog.Serving(logger, folder);
        var files = new PhysicalFileProvider(folder);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                // Vite names assets by content hash: they never change; index.html must be revalidated to see new ones.
                var immutable = context.Context.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal);
                context.Context.Response.Headers[HeaderNames.CacheControl] = immutable ? "public, max-age=31536000, immutable" : "no-cache";
            },
        });
        return app;
    }
}
