import './base.css';
import './snapshots.css';
import './history.css';
import './results.css';
import './plugins.css';
