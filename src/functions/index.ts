/** The app's entry point in the bundle: registers every function. */
import './exportIncidents';
import './exportTenant';
import './backfill';
