using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Jobs;

/// <summary>Settings of the Re-Enrich endpoints, bound from the <c>Jobs</c> section.</summary>
public sealed class JobEndpointOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Jobs";

    /// <summary>
    /// Whether a user's <c>POST /api/enrichment/{bom_id}/start</c> may create a BOM nobody owns yet (for the user's
    /// tenant). Off by default: an unowned BOM id would otherwise belong to whichever tenant guesses it first, for
    /// good (squatting). BOMs are then created by trusted publishers (scope <c>enrichment:publish</c>) and a user's
    /// start of an unknown BOM is a 404, like another tenant's. On in <c>appsettings.Development.json</c>, so the
    /// README's curl examples and the demo page work on a fresh local server.
    /// </summary>
    public bool UsersMayCreateBoms { get; set; }

    /// <summary>Most line items one job may have; a larger <c>start</c> is <c>400 invalid_job</c>.</summary>
    [Range(1, 100_000)]
    public int MaxItemsPerJob { get; set; } = 1000;
}
