/** How AWS predictive scaling forecasts an hour's load (defaults as documented). */
export interface AwsForecastSettings {
  /** Days of history the forecast may use (AWS: up to 14). */
  readonly maxHistoryDays: number;
  /** History needed before any forecast (AWS: 24 h). */
  readonly minHistoryS: number;
  /** Weeks of same-weekday history blended in once a week is available. */
  readonly maxHistoryWeeks: number;
}

export const AWS_FORECAST_DEFAULTS: AwsForecastSettings = {
  maxHistoryDays: 14,
  minHistoryS: 86_400,
  maxHistoryWeeks: 2,
};

const HOURS_PER_DAY = 24;
const HOURS_PER_WEEK = 168;

/**
 * Hourly load history and the forecast for an hour from the same hour of previous days and weeks. AWS does not
 * publish its model; this is the documented shape: hourly granularity, at most 14 days of history, no forecast
 * with less than 24 h. forecast(H) = mean of the load of hours H - 24k (k = 1..14, those that exist); once a full
 * week exists it is averaged with the mean of hours H - 168k (k = 1..2), so a weekly pattern (weekends) counts.
 */
export class AwsHourlyForecast {
  /** Requests in each complete hour, from the start of the trace. */
  private readonly hourly: number[] = [];
  private currentHour = 0;

  constructor(private readonly settings: AwsForecastSettings = AWS_FORECAST_DEFAULTS) {}

  /** Adds the requests of one observed second (in time order). Completes an hour every 3600 seconds. */
  addSecond(requests: number, secondsObserved: number): void {
    this.currentHour += requests;
    if (secondsObserved % 3600 === 0) {
      this.hourly.push(this.currentHour);
      this.currentHour = 0;
    }
  }

  /** Forecast requests per second in hour `hour`, or null without enough history. */
  forecastPerS(hour: number): number | null {
    const complete = this.hourly.length;
    if (complete * 3600 < this.settings.minHistoryS) return null;
    let daily = 0;
    let days = 0;
    for (let k = 1; k <= this.settings.maxHistoryDays; k++) {
      const h = hour - HOURS_PER_DAY * k;
      if (h < 0) break;
      if (h < complete) {
        daily += this.hourly[h]!;
        days++;
      }
    }
    if (days === 0) return null;
    let load = daily / days;
    let weekly = 0;
    let weeks = 0;
    for (let k = 1; k <= this.settings.maxHistoryWeeks; k++) {
      const h = hour - HOURS_PER_WEEK * k;
      if (h < 0) break;
      if (h < complete) {
        weekly += this.hourly[h]!;
        weeks++;
      }
    }
    if (weeks > 0) load = (load + weekly / weeks) / 2;
    return load / 3600;
  }
}
